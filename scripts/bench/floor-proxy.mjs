// The floor for any Node gateway on this machine, forked by the benchmark (with IPC): node:http in,
// one keep-alive agent out, the virtual key swapped for the upstream's, the body read whole and
// parsed once (a gateway reads the model), the answer passed through as it arrives. No limits,
// no metering, no other process: what a proxy costs before it does anything a gateway is for.
import http from 'node:http';

const upstream = new URL(process.argv[2]);
const virtualKey = process.argv[3];
const upstreamKey = process.argv[4];
const agent = new http.Agent({ keepAlive: true, maxSockets: 1024 });

/** The request's headers with the upstream key in place of the virtual one; undefined: no valid key. */
function forwardedHeaders(headers, length) {
  const out = { 'content-type': 'application/json', 'content-length': String(length) };
  if (headers['anthropic-version']) out['anthropic-version'] = headers['anthropic-version'];
  if (headers.authorization === `Bearer ${virtualKey}`) out.authorization = `Bearer ${upstreamKey}`;
  else if (headers['x-api-key'] === virtualKey) out['x-api-key'] = upstreamKey;
  else return undefined;
  return out;
}

const server = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', () => {
    const body = Buffer.concat(chunks);
    const headers = forwardedHeaders(req.headers, body.length);
    if (!headers) return res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":"bad key"}');
    try {
      JSON.parse(body.toString('utf8'));
    } catch {
      return res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"bad body"}');
    }
    const up = http.request(
      { host: upstream.hostname, port: upstream.port, path: req.url, method: 'POST', agent, headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, { 'content-type': answer.headers['content-type'] ?? 'text/plain' });
        answer.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    up.end(body);
  });
});

server.listen(0, '127.0.0.1', () => process.send({ type: 'ready', url: `http://127.0.0.1:${server.address().port}` }));
// The benchmark going away (even killed) closes the IPC channel: leave with it.
process.on('disconnect', () => process.exit(0));
