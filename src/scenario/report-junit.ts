import type { ScenarioResult } from './runner.ts';

/** Characters XML 1.0 cannot carry at all; they are replaced, not escaped. */
const XML_FORBIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g;

export function escapeXml(text: string): string {
  return text
    .replace(XML_FORBIDDEN, '\ufffd')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

/** Virtual seconds the scenario's runs took: deterministic, unlike wall time. */
function seconds(result: ScenarioResult): string {
  const ns = result.runs.defended.virtualTimeNs + (result.runs.control?.virtualTimeNs ?? 0);
  return (ns / 1e9).toFixed(3);
}

/**
 * JUnit XML for CI dashboards: one testsuite, one testcase per scenario, a `failure` element with the
 * reason for each that did not pass. Times are the simulator's virtual seconds.
 */
export function junitXml(results: readonly ScenarioResult[], options: { readonly seed: number; readonly suite?: string }): string {
  const failures = results.filter((r) => !r.passed).length;
  const suite = options.suite ?? 'nitro-emu scenarios';
  const total = results.reduce((sum, r) => sum + Number(seconds(r)), 0).toFixed(3);
  const lines = [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="${escapeXml(suite)}" tests="${results.length}" failures="${failures}" errors="0" time="${total}">`,
    `  <testsuite name="${escapeXml(suite)}" tests="${results.length}" failures="${failures}" errors="0" skipped="0" time="${total}">`,
    '    <properties>',
    `      <property name="seed" value="${options.seed}"/>`,
    '    </properties>',
  ];
  for (const r of results) {
    const open = `    <testcase classname="scenario.${escapeXml(r.attacker)}" name="${escapeXml(`${r.id} ${r.name}`)}" time="${seconds(r)}"`;
    if (r.passed) {
      lines.push(`${open}/>`);
      continue;
    }
    const type = r.outcome === 'error' || r.control === 'error' ? 'error' : r.outcome === 'leaked' ? 'leaked' : 'control-not-caught';
    lines.push(`${open}>`);
    lines.push(`      <failure message="${escapeXml(r.reason)}" type="${type}">${escapeXml(`${r.reason}\nrepro: npx nitro-emu scenario run ${r.id} --seed ${options.seed}`)}</failure>`);
    lines.push('    </testcase>');
  }
  lines.push('  </testsuite>', '</testsuites>');
  return lines.join('\n') + '\n';
}
