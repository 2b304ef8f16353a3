import type { Scenario } from '../define.ts';
import ct04 from './network/ct-04.ts';
import ct05 from './network/ct-05.ts';
import net01 from './network/net-01.ts';
import net02 from './network/net-02.ts';
import net03 from './network/net-03.ts';
import net04 from './network/net-04.ts';
import net05 from './network/net-05.ts';
import net06 from './network/net-06.ts';
import net07 from './network/net-07.ts';
import net08 from './network/net-08.ts';
import net09 from './network/net-09.ts';
import net10 from './network/net-10.ts';

/**
 * Scenarios on the fabric between hosts (research/attacks.md NET rows, and CT-04/CT-05 whose attack is a rank of the
 * collective): each runs on a Cluster, one file each beside this one.
 */
export const scenarios: readonly Scenario<any>[] = [net01, net02, net03, net04, net05, net06, net07, net08, net09, net10, ct04, ct05];
