/**
 * Shapes of the server extension's answers and the ids used across the extension.
 */

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

/** One failing check, as listed by the server. */
export interface IFailingCheck {
  id: string;
  status: string;
  summary: string;
}

/** One notebook's results: `GET /jupyter-mlready/reports` lists these. */
export interface IReportEntry {
  /** Notebook path relative to the server root. */
  notebook: string;
  notebook_exists?: boolean;
  /** Results folder relative to the server root. */
  results: string;
  verdict: string;
  /** ISO time readiness.json was written, or null. */
  when: string | null;
  model: { name?: string | null; uri?: string | null; version?: string | null };
  counts: { [status: string]: number };
  failing: IFailingCheck[];
  n_failing: number;
  report_html: string | null;
  summary_md: string | null;
  problem?: string;
}

/** The list answer. */
export interface IReportList {
  root: string;
  reports: IReportEntry[];
  truncated: boolean;
}
