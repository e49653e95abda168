import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICodeCellModel } from '@jupyterlab/cells';
import { DocumentRegistry } from '@jupyterlab/docregistry';
import {
  INotebookModel,
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { CommandToolbarButton, LabIcon } from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import { DisposableDelegate, IDisposable } from '@lumino/disposable';

import { ReadinessPanel } from './panel';
import { CHECK_SOURCE, CHECK_TAG, CommandIDs } from './tokens';

const ICON_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
<path class="jp-icon3" fill="#616161" d="M12 2 4 5v6c0 5 3.4 9.7 8 11 4.6-1.3 8-6 8-11V5l-8-3zm-1.2 14.2-3.5-3.5 1.4-1.4 2.1 2.1 4.9-4.9 1.4 1.4-6.3 6.3z"/>
</svg>`;

/** The Readiness icon (sidebar tab and toolbar button). */
export const readinessIcon = new LabIcon({ name: 'jupyter-mlready:readiness', svgstr: ICON_SVG });

/** Why the check cannot run in this notebook now, or null when it can. */
function blockedReason(panel: NotebookPanel | null | undefined): string | null {
  if (!panel) {
    return 'Open a notebook to check its readiness';
  }
  const context = panel.sessionContext;
  if (context.hasNoKernel || !context.session?.kernel) {
    return 'No kernel: start a kernel to check readiness';
  }
  // The kernel's status alone is not enough: widget comm traffic during a long cell can report
  // "idle" while the cell still runs. A code cell showing [*] means the notebook is busy.
  const running = panel.content.widgets.some(
    cell =>
      cell.model.type === 'code' && (cell.model as ICodeCellModel).executionState === 'running'
  );
  const status = context.kernelDisplayStatus;
  if (status === 'busy' || running) {
    return 'The kernel is busy: wait until it is idle';
  }
  if (status !== 'idle') {
    return `The kernel is ${status}: wait until it is idle`;
  }
  return null;
}

/** Re-run the tagged check cell when it is the last cell; else append one. Then run it. */
async function checkReadiness(panel: NotebookPanel): Promise<void> {
  const notebook = panel.content;
  const model = notebook.model;
  if (!model) {
    return;
  }
  let index = model.cells.length - 1;
  const last = index >= 0 ? model.cells.get(index) : null;
  const tags = last ? last.getMetadata('tags') : null;
  const reuse =
    last !== null && last.type === 'code' && Array.isArray(tags) && tags.includes(CHECK_TAG);
  if (!reuse) {
    model.sharedModel.insertCell(model.cells.length, {
      cell_type: 'code',
      source: CHECK_SOURCE,
      metadata: { tags: [CHECK_TAG] }
    });
    index = model.cells.length - 1;
  }
  notebook.activeCellIndex = index;
  notebook.deselectAll();
  const cell = notebook.widgets[index];
  if (cell) {
    void notebook.scrollToCell(cell);
  }
  await NotebookActions.run(notebook, panel.sessionContext);
}

/** Adds the "Check readiness" button to every notebook toolbar. */
class ToolbarButtonExtension implements DocumentRegistry.IWidgetExtension<
  NotebookPanel,
  INotebookModel
> {
  constructor(private _commands: CommandRegistry) {}

  createNew(panel: NotebookPanel): IDisposable {
    const button = new CommandToolbarButton({
      commands: this._commands,
      id: CommandIDs.checkReadiness,
      args: { panelId: panel.id },
      label: 'Check readiness'
    });
    button.addClass('jp-mlready-check-button');
    panel.toolbar.insertItem(10, 'mlready-check', button);
    const changed = () => this._commands.notifyCommandChanged(CommandIDs.checkReadiness);
    const context = panel.sessionContext;
    context.statusChanged.connect(changed);
    context.kernelChanged.connect(changed);
    context.connectionStatusChanged.connect(changed);
    return new DisposableDelegate(() => {
      context.statusChanged.disconnect(changed);
      context.kernelChanged.disconnect(changed);
      context.connectionStatusChanged.disconnect(changed);
      button.dispose();
    });
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-mlready:plugin',
  description: 'Check readiness from the notebook toolbar; list results in a Readiness side panel.',
  autoStart: true,
  requires: [INotebookTracker],
  optional: [ILayoutRestorer],
  activate: (app: JupyterFrontEnd, tracker: INotebookTracker, restorer: ILayoutRestorer | null) => {
    const { commands } = app;
    const findPanel = (args: any): NotebookPanel | null => {
      const id = args?.panelId as string | undefined;
      return id ? (tracker.find(p => p.id === id) ?? null) : tracker.currentWidget;
    };

    const panel = new ReadinessPanel({
      openPath: path => void commands.execute('docmanager:open', { path })
    });
    panel.id = 'mlready-readiness-panel';
    panel.title.icon = readinessIcon;
    panel.title.caption = 'Readiness';
    app.shell.add(panel, 'left', { rank: 650 });
    if (restorer) {
      restorer.add(panel, 'mlready-readiness-panel');
    }

    commands.addCommand(CommandIDs.checkReadiness, {
      label: 'Check readiness',
      caption: args =>
        blockedReason(findPanel(args)) ?? "Run %mlready check in this notebook's kernel",
      icon: readinessIcon,
      isEnabled: args => blockedReason(findPanel(args)) === null,
      execute: async args => {
        const target = findPanel(args);
        if (target && blockedReason(target) === null) {
          await checkReadiness(target);
        }
      }
    });
    commands.addCommand(CommandIDs.refreshPanel, {
      label: 'Refresh the Readiness panel',
      execute: () => panel.refresh()
    });

    const changed = () => commands.notifyCommandChanged(CommandIDs.checkReadiness);
    tracker.currentChanged.connect(changed);
    // a cell starts ([*] is set synchronously right after this signal) or ends
    NotebookActions.executionScheduled.connect(() => setTimeout(changed, 0));
    NotebookActions.executed.connect(changed);
    NotebookActions.selectionExecuted.connect(changed);
    app.docRegistry.addWidgetExtension('Notebook', new ToolbarButtonExtension(commands));

    // A finished check cell: results changed on disk.
    NotebookActions.executed.connect((_, { cell }) => {
      const tags = cell.model.getMetadata('tags');
      if (Array.isArray(tags) && tags.includes(CHECK_TAG)) {
        void panel.refresh();
      }
    });
  }
};

export default plugin;
