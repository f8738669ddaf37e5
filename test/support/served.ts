/**
 * Everything a node serves to a GET, for tests that must find something nowhere in it: every
 * route its OpenAPI document lists (which a test holds to the routes Nest registers), an unknown
 * route, the dashboard and the API docs with every same-origin file they load, each answer with
 * its status line and headers. A Server-Sent Events route gives what it sends first.
 */
export async function everythingServed(
  base: string,
  fetchFn: typeof fetch = fetch,
): Promise<Map<string, string>> {
  const spec = (await (await fetchFn(`${base}/docs-json`)).json()) as {
    paths: Record<string, Record<string, unknown>>;
  };
  const routes = Object.entries(spec.paths)
    .filter(([path, ops]) => 'get' in ops && !path.includes('{'))
    .map(([path]) => path);
  const queue = [...routes, '/docs-json', '/dashboard', '/docs', '/no-such-route'];
  const served = new Map<string, string>();
  // Bounded: a node serves a few dozen files; a crawl past this is a loop.
  while (queue.length > 0 && served.size < 200) {
    const path = queue.shift()!;
    if (served.has(path)) continue;
    const answer = await fetchText(fetchFn, `${base}${path}`);
    served.set(path, answer.text);
    queue.push(...sameOriginLinks(path, answer));
  }
  return served;
}

async function fetchText(
  fetchFn: typeof fetch,
  url: string,
): Promise<{ type: string; text: string }> {
  const res = await fetchFn(url, { signal: AbortSignal.timeout(5000) });
  const type = res.headers.get('content-type') ?? '';
  const head = `${res.status}\n${[...res.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n`;
  if (!type.startsWith('text/event-stream')) return { type, text: head + (await res.text()) };
  // A stream never ends: its first event (the snapshot) is what it serves on connecting.
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('\n\n')) {
    const { done, value } = await reader.read();
    if (done) break;
    text += Buffer.from(value).toString('utf8');
  }
  await reader.cancel();
  return { type, text: head + text };
}

/** Paths of the same-origin files a page (src, href) or an ES module (imports) loads. */
function sameOriginLinks(from: string, answer: { type: string; text: string }): string[] {
  const pattern = answer.type.includes('html')
    ? /(?:src|href)="([^"]+)"/g
    : answer.type.includes('javascript')
      ? /(?:from|import)\s*\(?\s*['"](\.{1,2}\/[^'"]+|\/[^'"]+)['"]/g
      : null;
  if (pattern === null) return [];
  return [...answer.text.matchAll(pattern)]
    .map((m) => new URL(m[1], `http://node${from}`))
    .filter((u) => u.host === 'node')
    .map((u) => u.pathname);
}
