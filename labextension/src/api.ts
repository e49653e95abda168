import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { IReportEntry, IReportList } from './tokens';

/**
 * Call `/jupyter-mlready/<endpoint>` and return its JSON; throws with the server's message.
 */
async function requestAPI<T>(endpoint: string, query: Record<string, string> = {}): Promise<T> {
  const settings = ServerConnection.makeSettings();
  const search = new URLSearchParams(query).toString();
  const url =
    URLExt.join(settings.baseUrl, 'jupyter-mlready', endpoint) + (search ? `?${search}` : '');
  const response = await ServerConnection.makeRequest(url, {}, settings);
  let data: any;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok) {
    const message = (data && (data.message || data.error)) || response.statusText;
    throw new ServerConnection.ResponseError(response, String(message));
  }
  return data as T;
}

/** Every notebook under the server root that has results. */
export function listReports(): Promise<IReportList> {
  return requestAPI<IReportList>('reports');
}

/** The results of one notebook (path relative to the server root). */
export function getReport(path: string): Promise<IReportEntry> {
  return requestAPI<IReportEntry>('reports', { path });
}

/** The URL serving a file under the server root (for report.html in a new tab). */
export function fileUrl(path: string): string {
  const settings = ServerConnection.makeSettings();
  return URLExt.join(settings.baseUrl, 'files', URLExt.encodeParts(path));
}
