// For developing the demo: serves demo/dist/ from disk at /demo/ and proxies
// everything else (the API, /openapi.json and /demo/config.json) to a running
// `bazaar serve --demo`, so a rebuilt app shows on reload without rebuilding
// the binary that embeds it.
//
//   node dev-server.mjs --api http://127.0.0.1:8080 [--port 0]
//
// Prints `demo: <url>` once listening; stops on SIGTERM or SIGINT.
import { createReadStream } from "node:fs";
import { createServer, request } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    api: { type: "string" },
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
  },
});
if (!args.api) {
  console.error("usage: node dev-server.mjs --api <url of bazaar serve --demo> [--port N]");
  process.exit(2);
}
const api = new URL(args.api);

const files = {
  "/demo/": ["index.html", "text/html; charset=utf-8"],
  "/demo/index.html": ["index.html", "text/html; charset=utf-8"],
  "/demo/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/demo/app.css": ["app.css", "text/css; charset=utf-8"],
};

const server = createServer((req, res) => {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  if (path.startsWith("/v1/") || path === "/openapi.json" || path === "/demo/config.json") {
    const upstream = request(
      { host: api.hostname, port: api.port, method: req.method, path: req.url, headers: { ...req.headers, host: api.host } },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", (e) => {
      res.writeHead(502, { "content-type": "application/problem+json" });
      res.end(JSON.stringify({ type: "about:blank", title: "Bad Gateway", status: 502, detail: `bazaar: ${e.message}`, code: "bad_gateway" }));
    });
    req.pipe(upstream);
    return;
  }
  if (path === "/" || path === "/demo") {
    res.writeHead(302, { location: "/demo/" });
    res.end();
    return;
  }
  const file = files[path];
  if (!file || (req.method !== "GET" && req.method !== "HEAD")) {
    res.writeHead(404, { "content-type": "text/plain" });
    res.end("not found\n");
    return;
  }
  res.writeHead(200, { "content-type": file[1], "cache-control": "no-cache" });
  createReadStream(join(here, "dist", file[0])).pipe(res);
});

server.listen(Number(args.port), args.host, () => {
  const { port } = server.address();
  console.log(`demo: http://${args.host}:${port}/demo/`);
});
for (const signal of ["SIGTERM", "SIGINT"]) {
  process.on(signal, () => server.close(() => process.exit(0)));
}
