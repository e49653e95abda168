/**
 * Shapes of the server extension's answers and the ids used across the extension.
 *
 * The shapes are generated from the JSON Schemas in `jupyter_mlready/schema/` into `schema.ts`
 * (`jlpm gen:types`); this module gives them the extension's `I` names.
 */

import type { FailingCheck, Readiness, ReadinessError, ReportEntry, ReportList } from './schema';

/** Command ids, in one place. */
export namespace CommandIDs {
  /** Insert and run `%mlready check` at the end of a notebook. */
  export const checkReadiness = 'mlready:check-readiness';
  /** Re-read the results listed in the Readiness panel. */
  export const refreshPanel = 'mlready:refresh-panel';
}

/** Cell source the "Check readiness" button inserts and runs. */
export const CHECK_SOURCE = '%load_ext jupyter_mlready\n%mlready check';

/** Tag of the inserted cell, so a later click re-runs it instead of adding another. */
export const CHECK_TAG = 'mlready-check';

/** One failing check, as listed by the server (`jupyter_mlready/schema/report_entry.schema.json`). */
export type IFailingCheck = FailingCheck;

/**
 * One notebook's results: `GET /jupyter-mlready/reports` lists these; `?path=<notebook>` answers
 * one, with the whole readiness.json in `readiness` (`jupyter_mlready/schema/report_entry.schema.json`).
 */
export type IReportEntry = ReportEntry;

/** The list answer (`jupyter_mlready/schema/report_list.schema.json`). */
export type IReportList = ReportList;

/** A readiness.json document (`jupyter_mlready/schema/readiness.schema.json`). */
export type IReadiness = Readiness;

/** Why a check ended in `error`: readiness.json's `error`, also in a report entry. */
export type IReadinessError = ReadinessError;
