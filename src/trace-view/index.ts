export { renderHtml } from './html.ts';
export { renderMermaid } from './mermaid.ts';
export { buildRun, compressRounds, groupArrows, ledgerRows, mergeMarks, stopsFromTrace, ARROWS_MAX, LEDGER_ROWS_MAX, MARKS_MAX, NOTES_MAX, STOPS_MAX, type RunCapture } from './model.ts';
export { dissectMessages, shortChannel } from './dissect.ts';
export { flowTracePage, scenarioTracePage, type ScenarioRunCapture } from './capture.ts';
export type { LedgerRow, Protection, TraceArrow, TraceMark, TraceMessage, TracePage, TraceRefusal, TraceRun, VerdictRow } from './types.ts';
