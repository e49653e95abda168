import { Widget } from '@lumino/widgets';

import { fileUrl, listReports } from './api';
import { IReadinessError, IReportEntry } from './tokens';

const VERDICT_LABELS: { [verdict: string]: string } = {
  ready: 'Ready',
  not_ready: 'Not ready',
  error: 'Error',
  unreadable: 'Unreadable'
};

/**
 * The commands that resolve an error, from its fields: `%mlready check --model clf` for each
 * candidate of a discovery error (its `flag` and `candidates`).
 */
export function remedyCommands(error: IReadinessError): string[] {
  const fields = error.fields ?? {};
  const flag = fields.flag;
  const candidates = fields.candidates;
  if (typeof flag !== 'string' || !flag.startsWith('--') || !Array.isArray(candidates)) {
    return [];
  }
  const option = flag.split(' ')[0];
  return candidates
    .filter((c): c is string => typeof c === 'string')
    .slice(0, 8)
    .map(c => `%mlready check ${option} ${c}`);
}

/** The error of a run, its remedy, and a copy button per command that resolves it. */
function errorBox(error: IReadinessError): HTMLDivElement {
  const box = el('div', 'jp-mlready-error');
  box.appendChild(
    el('div', 'jp-mlready-error-message', `Error in ${error.stage}: ${error.message}`)
  );
  if (error.remedy) {
    box.appendChild(el('div', 'jp-mlready-remedy', error.remedy));
  }
  for (const command of remedyCommands(error)) {
    const action = el('button', 'jp-mlready-remedy-action jp-Button', command);
    action.title = 'Copy this command, then run it in the notebook';
    action.addEventListener('click', () => {
      void navigator.clipboard?.writeText(command).then(() => {
        action.textContent = `Copied: ${command}`;
      });
    });
    box.appendChild(action);
  }
  return box;
}

/** Options of the Readiness panel. */
export interface IReadinessPanelOptions {
  /** Open a file (path relative to the server root) in JupyterLab. */
  openPath: (path: string) => void;
}

/** Create an element with a class and text content (never HTML). */
function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className?: string,
  text?: string
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  return node;
}

function formatWhen(when: string | null): string {
  if (!when) {
    return 'unknown time';
  }
  const date = new Date(when);
  return isNaN(date.getTime()) ? when : date.toLocaleString();
}

/**
 * The "Readiness" side panel: the notebooks under the server root that have results.
 *
 * Every value from the server is set with `textContent`, never as HTML.
 */
export class ReadinessPanel extends Widget {
  /** Build the header, status line and list; `refresh()` fills the list. */
  constructor(options: IReadinessPanelOptions) {
    super();
    this._openPath = options.openPath;
    this.addClass('jp-mlready-panel');
    const header = el('div', 'jp-mlready-header');
    header.appendChild(el('h2', 'jp-mlready-title', 'Readiness'));
    const refresh = el('button', 'jp-mlready-refresh jp-Button', 'Refresh');
    refresh.title = 'Read the results again';
    refresh.addEventListener('click', () => void this.refresh());
    header.appendChild(refresh);
    this.node.appendChild(header);
    this._status = el('div', 'jp-mlready-status');
    this.node.appendChild(this._status);
    this._list = el('ul', 'jp-mlready-list');
    this.node.appendChild(this._list);
  }

  /** Fetch the list from the server and render it. */
  async refresh(): Promise<void> {
    const generation = ++this._generation;
    this._status.textContent = 'Loading …';
    try {
      const listing = await listReports();
      if (generation !== this._generation) {
        return;
      }
      this._render(listing.reports);
      const n = listing.reports.length;
      this._status.textContent =
        n === 0
          ? 'No results yet: click "Check readiness" in a notebook toolbar.'
          : `${n} notebook${n === 1 ? '' : 's'} with results${listing.truncated ? ' (list truncated)' : ''}`;
    } catch (reason) {
      if (generation === this._generation) {
        this._status.textContent = `Could not load results: ${(reason as Error).message ?? reason}`;
      }
    }
  }

  /** Read the results again whenever the panel is shown. */
  protected onAfterShow(): void {
    void this.refresh();
  }

  private _render(reports: IReportEntry[]): void {
    this._list.textContent = '';
    for (const entry of reports) {
      this._list.appendChild(this._item(entry));
    }
  }

  private _item(entry: IReportEntry): HTMLLIElement {
    const item = el('li', 'jp-mlready-item');
    item.dataset.notebook = entry.notebook;
    item.dataset.verdict = entry.verdict;

    const top = el('div', 'jp-mlready-item-top');
    const badge = el('span', 'jp-mlready-verdict', VERDICT_LABELS[entry.verdict] ?? entry.verdict);
    badge.dataset.verdict = entry.verdict;
    top.appendChild(badge);
    const slash = entry.notebook.lastIndexOf('/');
    const name = el('button', 'jp-mlready-notebook', entry.notebook.slice(slash + 1));
    name.title =
      entry.notebook_exists === false ? `${entry.notebook} (not found)` : `Open ${entry.notebook}`;
    name.disabled = entry.notebook_exists === false;
    name.addEventListener('click', () => this._openPath(entry.notebook));
    top.appendChild(name);
    item.appendChild(top);

    if (slash > 0) {
      item.appendChild(el('div', 'jp-mlready-folder', entry.notebook.slice(0, slash)));
    }
    const facts: string[] = [formatWhen(entry.when)];
    const model = entry.model || {};
    if (model.version) {
      facts.push(`model ${model.name ?? ''} v${model.version}`.replace('  ', ' '));
    } else if (model.name) {
      facts.push(`model ${model.name} (not registered)`);
    }
    facts.push(`${entry.n_failing} failing`);
    item.appendChild(el('div', 'jp-mlready-facts', facts.join(' · ')));
    if (entry.problem) {
      item.appendChild(el('div', 'jp-mlready-problem', entry.problem));
    }
    if (entry.error) {
      item.appendChild(errorBox(entry.error));
    }

    const actions = el('div', 'jp-mlready-actions');
    if (entry.report_html) {
      const report = el('button', 'jp-mlready-report jp-Button', 'report.html');
      const path = entry.report_html;
      report.title = `Open ${path} in a new browser tab`;
      report.addEventListener('click', () => window.open(fileUrl(path), '_blank', 'noopener'));
      actions.appendChild(report);
    }
    const failing = el('ul', 'jp-mlready-failing');
    failing.hidden = true;
    for (const check of entry.failing || []) {
      const row = el('li', 'jp-mlready-failing-check');
      row.dataset.status = check.status;
      row.appendChild(
        el('span', 'jp-mlready-check-id', `${check.status.toUpperCase()} ${check.id}`)
      );
      row.appendChild(el('span', 'jp-mlready-check-summary', check.summary));
      failing.appendChild(row);
    }
    if (entry.n_failing > 0) {
      const toggle = el('button', 'jp-mlready-toggle jp-Button', `Failing (${entry.n_failing})`);
      toggle.setAttribute('aria-expanded', 'false');
      toggle.addEventListener('click', () => {
        failing.hidden = !failing.hidden;
        toggle.setAttribute('aria-expanded', String(!failing.hidden));
      });
      actions.appendChild(toggle);
    }
    item.appendChild(actions);
    item.appendChild(failing);
    return item;
  }

  private _openPath: (path: string) => void;
  private _status: HTMLDivElement;
  private _list: HTMLUListElement;
  private _generation = 0;
}
