// A stand-in for `bazaar serve --demo` while developing the demo: serves
// dist/ at /demo/ and a config.json at /demo/config.json, and proxies /v1/...
// (and /openapi.json) to a running Bazaar, so the app sees one origin as it
// does when the binary serves it.
//
//   node dev-server.mjs --api http://127.0.0.1:8080 [--port 0] [--seed | --config FILE]
//
// --seed creates the demo tenant through the API (BAZAAR_PLATFORM_KEY must be
// the server's platform key; run `node build.mjs` first, it bundles the seed)
// and writes the config it serves to .build/config.json. --config serves a
// config written before. Prints `demo: <url>` once listening; stops on
// SIGTERM or SIGINT.
import { createReadStream, readFileSync, writeFileSync } from "node:fs";
import { createServer, request } from "node:http";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

const here = dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    api: { type: "string" },
    port: { type: "string", default: "0" },
    host: { type: "string", default: "127.0.0.1" },
    seed: { type: "boolean", default: false },
    config: { type: "string" },
  },
});
if (!args.api || (!args.seed && !args.config)) {
  console.error("usage: node dev-server.mjs --api <bazaar url> [--port N] (--seed | --config FILE)");
  process.exit(2);
}
const api = new URL(args.api);

let config;
if (args.seed) {
  const platformKey = process.env.BAZAAR_PLATFORM_KEY;
  if (!platformKey) {
    console.error("dev-server: --seed needs BAZAAR_PLATFORM_KEY (the server's platform key)");
    process.exit(2);
  }
  const { seed } = await import(pathToFileURL(join(here, ".build", "seed.mjs")).href);
  const started = performance.now();
  config = await seed(api.origin, platformKey);
  const file = join(here, ".build", "config.json");
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  console.log(`dev-server: seeded ${config.tenant} in ${Math.round(performance.now() - started)} ms (${file})`);
} else {
  config = JSON.parse(readFileSync(args.config, "utf8"));
}

const files = {
  "/demo/": ["index.html", "text/html; charset=utf-8"],
  "/demo/index.html": ["index.html", "text/html; charset=utf-8"],
  "/demo/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/demo/app.css": ["app.css", "text/css; charset=utf-8"],
};

const server = createServer((req, res) => {
  const path = new URL(req.url ?? "/", "http://x").pathname;
  if (path.startsWith("/v1/") || path === "/openapi.json") {
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
  if (path === "/demo/config.json") {
    res.writeHead(200, { "content-type": "application/json", "cache-control": "no-store" });
    res.end(JSON.stringify(config));
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
