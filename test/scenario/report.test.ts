import { describe, expect, it } from 'vitest';
import { formatTable, junitXml, ledgerReport, reproCommand, resultsJson } from '../../src/scenario/index.ts';
import type { RunRecord, ScenarioResult } from '../../src/scenario/index.ts';

const run = (outcome: RunRecord['outcome'], defended: boolean): RunRecord => ({
  defended,
  defencesOff: defended ? [] : ['attestedKeyPolicy'],
  outcome,
  reason: `${outcome} because`,
  refusal: null,
  verdicts: [{ invariant: 'INV-NO-CANARY', held: outcome !== 'leaked', detail: 'd' }],
  notes: ['n'],
  ledger: {},
  observations: [
    { principal: 'parent-admin', channel: 'disk-read x', size: 3, sha256: 'ab', canaryHits: [{ canary: 'data-key', encoding: 'base64' }] },
    { principal: 'operator', channel: 'operator-api', size: 1, sha256: 'cd', canaryHits: [] },
  ],
  digest: 'ff',
  virtualTimeNs: 1_500_000_000,
});

const result = (id: string, passed: boolean, reason: string): ScenarioResult => ({
  id,
  name: 'pa.kms.thing',
  title: 't',
  attacker: 'parent-admin',
  expect: 'blocked',
  defence: 'attestedKeyPolicy',
  seed: 4,
  outcome: 'blocked',
  control: passed ? 'leaked' : 'blocked',
  passed,
  reason,
  runs: { defended: run('blocked', true), control: run(passed ? 'leaked' : 'blocked', false) },
});

const results = [result('PA-01', true, 'fine'), result('PA-02', false, 'control <not> caught & "quoted" \'x\' \u0001'), result('PA-03', true, 'ok')];

/** A minimal, strict XML reader (elements, attributes, text, the five entities): enough to prove well-formedness and count elements. */
function parseXml(xml: string): { name: string; attrs: Record<string, string>; children: any[]; text: string } {
  let i = xml.startsWith('<?xml') ? xml.indexOf('?>') + 2 : 0;
  const entity = (s: string) =>
    s.replace(/&(amp|lt|gt|quot|apos|[^;]*);/g, (_, e: string) => {
      const map: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
      if (!(e in map)) throw new Error(`bad entity &${e};`);
      return map[e]!;
    });
  const skipWs = () => { while (/\s/.test(xml[i] ?? '')) i++; };
  const element = (): any => {
    if (xml[i] !== '<') throw new Error(`expected < at ${i}`);
    i++;
    let name = '';
    while (/[\w.-]/.test(xml[i] ?? '')) name += xml[i++];
    const attrs: Record<string, string> = {};
    for (;;) {
      skipWs();
      if (xml.startsWith('/>', i)) { i += 2; return { name, attrs, children: [], text: '' }; }
      if (xml[i] === '>') { i++; break; }
      let key = '';
      while (/[\w-]/.test(xml[i] ?? '')) key += xml[i++];
      if (xml[i++] !== '=' || xml[i++] !== '"') throw new Error(`bad attribute at ${i}`);
      const end = xml.indexOf('"', i);
      const raw = xml.slice(i, end);
      if (raw.includes('<')) throw new Error('raw < in attribute');
      attrs[key] = entity(raw);
      i = end + 1;
    }
    const children: any[] = [];
    let text = '';
    for (;;) {
      if (xml.startsWith('</', i)) {
        i += 2;
        const end = xml.indexOf('>', i);
        if (xml.slice(i, end) !== name) throw new Error(`mismatched </${xml.slice(i, end)}> for <${name}>`);
        i = end + 1;
        return { name, attrs, children, text: entity(text) };
      }
      if (xml[i] === '<') children.push(element());
      else if (i >= xml.length) throw new Error(`unclosed <${name}>`);
      else text += xml[i++];
    }
  };
  skipWs();
  const root = element();
  skipWs();
  if (i !== xml.length) throw new Error('content after the root element');
  return root;
}

describe('reports', () => {
  it('--json carries exactly the contract fields', () => {
    const json = resultsJson(4, results);
    expect(Object.keys(json)).toEqual(['seed', 'results']);
    expect(Object.keys(json.results[0]!)).toEqual(['id', 'name', 'attacker', 'expect', 'outcome', 'control', 'reason']);
    expect(json.results[1]).toMatchObject({ id: 'PA-02', control: 'blocked' });
  });

  it('JUnit XML is well-formed: one testcase per scenario, one failure with the escaped reason', () => {
    const xml = junitXml(results, { seed: 4 });
    const root = parseXml(xml);
    expect(root.name).toBe('testsuites');
    const suite = root.children[0];
    expect(suite.name).toBe('testsuite');
    expect(suite.attrs).toMatchObject({ tests: '3', failures: '1' });
    const cases = suite.children.filter((c: any) => c.name === 'testcase');
    expect(cases).toHaveLength(3);
    expect(cases.map((c: any) => c.attrs.name)).toEqual(['PA-01 pa.kms.thing', 'PA-02 pa.kms.thing', 'PA-03 pa.kms.thing']);
    const failures = cases.flatMap((c: any) => c.children.filter((f: any) => f.name === 'failure'));
    expect(failures).toHaveLength(1);
    expect(failures[0].attrs.message).toBe('control <not> caught & "quoted" \'x\' \ufffd');
    expect(failures[0].text).toContain('repro: npx nitro-emu scenario run PA-02 --seed 4');
    expect(cases[0].attrs.time).toBe('3.000');
    // And the checker itself rejects what is not well-formed.
    expect(() => parseXml(xml.replace('</testsuite>', ''))).toThrow();
  });

  it('the ledger report has every observation per principal and every verdict, never the bytes', () => {
    const report = ledgerReport(4, results);
    const control = report.scenarios[0]!.runs.control!;
    expect(Object.keys(control.observations)).toEqual(['parent-admin', 'operator']);
    expect(control.observations['parent-admin']).toEqual([{ channel: 'disk-read x', size: 3, sha256: 'ab', canaryHits: [{ canary: 'data-key', encoding: 'base64' }] }]);
    expect(control.verdicts).toEqual([{ invariant: 'INV-NO-CANARY', held: false, detail: 'd' }]);
    expect(JSON.stringify(report)).not.toContain('"bytes"');
  });

  it('the table has one row per scenario with pass/FAIL, and the repro command names the seed', () => {
    const table = formatTable(results).split('\n');
    expect(table[0]).toMatch(/^id\s+name\s+attacker\s+expect\s+outcome\s+control\s+result\s+reason$/);
    expect(table.filter((l) => l.startsWith('PA-')).map((l) => l.includes(' pass ') ? 'pass' : l.includes(' FAIL ') ? 'FAIL' : '?')).toEqual(['pass', 'FAIL', 'pass']);
    expect(table).toContain('2/3 passed');
    expect(reproCommand(results[1]!, 4)).toBe('npx nitro-emu scenario run PA-02 --seed 4');
    expect(reproCommand(results[1]!, 4, 'x.yaml')).toBe('npx nitro-emu scenario run --file x.yaml --seed 4');
  });
});
