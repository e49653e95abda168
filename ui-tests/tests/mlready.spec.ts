import { expect, test } from '@jupyterlab/galata';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..');
const SHOTS = path.join(ROOT, 'test-artifacts', 'ui');
const FIXTURE = path.join(ROOT, 'tests', 'notebooks', 'ui_small.ipynb');
const NOTEBOOK = 'ui_small.ipynb';

test.describe('jupyter-mlready', () => {
  test.beforeEach(async ({ page, tmpPath }) => {
    await page.contents.uploadFile(FIXTURE, `${tmpPath}/${NOTEBOOK}`);
    await page.filebrowser.openDirectory(tmpPath);
  });

  test('Check readiness runs the check, shows the verdict, lists the notebook', async ({ page, tmpPath }) => {
    await page.notebook.openByPath(`${tmpPath}/${NOTEBOOK}`);
    await page.notebook.activate(NOTEBOOK);
    const button = page.locator('.jp-mlready-check-button .jp-ToolbarButtonComponent');
    await expect(button).toBeVisible();
    await expect(button).toHaveText(/Check readiness/);

    await page.notebook.run(); // the user's own cells: the model and its data
    await expect(button).not.toHaveAttribute('aria-disabled', 'true', { timeout: 30000 });
    await button.click();

    // While it runs: one bar per stage; catch it mid-run for a screenshot when we can (a fast check
    // may finish first, so this part does not fail the test).
    const running = page.locator('.jp-OutputArea .mlready-view', { hasText: 'checking readiness' });
    const caught = await running
      .locator('.mlready-stage-discover', { hasText: 'done' })
      .waitFor({ timeout: 60000 })
      .then(() => true)
      .catch(() => false);
    if (caught) {
      await page.screenshot({ path: path.join(SHOTS, 'notebook-progress.png') });
      await expect(button).toHaveAttribute('aria-disabled', 'true'); // busy kernel: no second run
    }

    // The header gets its verdict when the check has finished (other stages may still be in flux:
    // any verdict is a result; the widget must show one).
    const verdict = page.locator('.jp-OutputArea .mlready-view .mlready-verdict');
    await expect(verdict).toHaveAttribute('data-verdict', /^(ready|not_ready|error)$/, { timeout: 130000 });
    await expect(verdict).toContainText(/mlready: (Ready|Not ready|Error) — ui_small/);
    const verdictValue = await verdict.getAttribute('data-verdict');
    const lastCell = page.locator('.jp-Notebook .jp-Cell').last();
    await expect(lastCell.locator('.jp-InputArea')).toContainText('%mlready check');
    await expect(page.locator('.mlready-view .mlready-stage-report')).toContainText('done');
    await lastCell.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'notebook-widget.png') });

    // expand the first row of the checklist
    await page.locator('.mlready-view .jupyter-widget-Collapse-header').first().click();
    await page.screenshot({ path: path.join(SHOTS, 'notebook-widget-expanded.png') });
    // the copy button's handler runs (the HTML widget keeps it): its label changes either way
    const copy = page.locator('.mlready-view .mlready-copy:visible');
    if ((await copy.count()) > 0) {
      await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
      await copy.first().click();
      await expect(copy.first()).toHaveText(/Copied|Select and copy/);
    }

    await page.sidebar.openTab('mlready-readiness-panel');
    const item = page.locator(`.jp-mlready-item[data-notebook="${tmpPath}/${NOTEBOOK}"]`);
    await expect(item).toBeVisible({ timeout: 30000 });
    await expect(item.locator('.jp-mlready-verdict')).toHaveAttribute('data-verdict', verdictValue!);
    await expect(item.locator('.jp-mlready-facts')).toContainText(/\d+ failing/);
    const failing = item.locator('.jp-mlready-failing');
    await expect(failing).toBeHidden();
    const toggle = item.locator('.jp-mlready-toggle');
    if ((await toggle.count()) > 0) {
      await toggle.click();
      await expect(failing).toBeVisible();
      await expect(failing.locator('.jp-mlready-failing-check').first()).toContainText(/(FAIL|ERROR) /);
    }
    await page.screenshot({ path: path.join(SHOTS, 'side-panel.png') });

    // click the notebook entry: it opens (here: is revealed) in the main area
    await page.locator('.jp-mlready-notebook', { hasText: NOTEBOOK }).click();
    await expect(page.locator('.jp-NotebookPanel:visible')).toHaveCount(1);
  });

  test('the button is disabled with a tooltip without a kernel', async ({ page, tmpPath }) => {
    await page.notebook.openByPath(`${tmpPath}/${NOTEBOOK}`);
    await page.notebook.activate(NOTEBOOK);
    const button = page.locator('.jp-mlready-check-button .jp-ToolbarButtonComponent');
    await expect(button).not.toHaveAttribute('aria-disabled', 'true', { timeout: 30000 });
    await expect(button).toHaveAttribute('title', /Run %mlready check/);
    await page.menu.clickMenuItem('Kernel>Shut Down Kernel');
    await expect(button).toHaveAttribute('aria-disabled', 'true', { timeout: 30000 });
    await expect(button).toHaveAttribute('title', /No kernel/);
    await page.screenshot({ path: path.join(SHOTS, 'button-no-kernel.png') });
  });
});
