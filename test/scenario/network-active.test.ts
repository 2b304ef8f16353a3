import { describe } from 'vitest';
import { scenarios } from '../../src/scenario/catalogue/network.ts';
import { eachBlockedAndCaught } from '../catalogue/helpers.ts';
import { expectEvidence } from './network-helpers.ts';

// The fabric group, second half: injection, downgrade, usage limits, splicing, sizes, and the co-tenant's ranks.
const SECOND = ['NET-06', 'NET-07', 'NET-08', 'NET-09', 'NET-10', 'CT-04', 'CT-05'];

describe('catalogue: the fabric, active attacks and foreign ranks', () => {
  eachBlockedAndCaught(
    scenarios.filter((s) => SECOND.includes(s.id)),
    (scenario, result, why) => expectEvidence(scenario.id, result, why),
  );
});
