#!/usr/bin/env node
/**
 * Renders the nginx configuration that puts several `wasmactor serve --http` replicas behind one address.
 * The only input is the replica list: `ID=HOST:PORT` pairs, where ID is the replica's `--replica-id`.
 *
 *   node deploy/nginx/render.mjs r1=10.0.0.11:7000 r2=10.0.0.12:7000 r3=10.0.0.13:7000 > wasmactor.conf
 *   node deploy/nginx/render.mjs --listen 127.0.0.1:8080 --standalone r1=127.0.0.1:7001 ... > nginx.conf
 *
 * Without --standalone the output is an `http {}`-level file for /etc/nginx/conf.d/ (upstreams, maps, one
 * `server`). With --standalone it is a whole nginx.conf for `nginx -p PREFIX -c FILE`: temp paths and the
 * access log relative to PREFIX, no `user` (add `-g 'user ...;'` if the master runs as root).
 * See deploy/nginx/README.md for what each part does and why.
 *
 * Plain Node (no dependency); exports `renderNginxConfig` for scripts that render it themselves.
 */
import { pathToFileURL } from 'node:url';

/** The modern-era (2026-07-28) methods that only read: retried on another replica even once sent. */
export const RETRY_SAFE_METHODS = [
  'server/discover',
  'ping',
  'tools/list',
  'resources/list',
  'resources/templates/list',
  'prompts/list',
];

const REPLICA_ID = /^[A-Za-z0-9_-]{1,32}$/;
const ADDRESS = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):([0-9]{1,5})$/;

const USAGE = `Usage: node deploy/nginx/render.mjs [--listen [HOST:]PORT] [--server-name NAME] [--standalone]
                                   [--max-body-size SIZE]
                                   [--fail-timeout TIME] ID=HOST:PORT...

Prints the nginx configuration for wasmactor replicas (one ID=HOST:PORT per replica, ID = its --replica-id).
  --listen [HOST:]PORT   where nginx listens (default 127.0.0.1:8080)
  --server-name NAME     the server_name (default _)
  --max-body-size SIZE   nginx's client_max_body_size (default 5m: above the replicas' 4Mi, so that
                         their JSON-RPC answer names the limit, not an HTML page of nginx)
  --fail-timeout TIME    how long a replica that failed stays out of the balanced group (default 10s)
  --standalone           a whole nginx.conf (events, http, temp paths under nginx's -p PREFIX)
`;

/**
 * Parses `ID=HOST:PORT`; throws an Error naming the problem and the expected form.
 * @param {string} text
 * @returns {{ id: string, address: string }}
 */
export function parseReplica(text) {
  const at = text.indexOf('=');
  const id = at < 0 ? '' : text.slice(0, at);
  const address = at < 0 ? '' : text.slice(at + 1);
  if (!REPLICA_ID.test(id)) {
    throw new Error(
      `bad replica "${text}": expected ID=HOST:PORT where ID is the replica's --replica-id ` +
        '(1 to 32 characters among A-Z a-z 0-9 _ -)',
    );
  }
  const match = ADDRESS.exec(address);
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) {
    throw new Error(`bad replica address "${address}" for ${id}: expected HOST:PORT, e.g. 10.0.0.11:7000`);
  }
  return { id, address };
}

/**
 * The configuration text.
 * @param {{ replicas: { id: string, address: string }[], listen?: string, serverName?: string,
 *   maxBodySize?: string, failTimeout?: string, standalone?: boolean }} options
 * @returns {string}
 */
export function renderNginxConfig(options) {
  const { replicas } = options;
  if (replicas.length === 0) throw new Error('no replica given: name at least one ID=HOST:PORT');
  const ids = new Set();
  for (const r of replicas) {
    if (ids.has(r.id)) throw new Error(`replica id ${r.id} given twice: every replica needs its own id`);
    ids.add(r.id);
  }
  const listen = options.listen ?? '127.0.0.1:8080';
  const serverName = options.serverName ?? '_';
  const maxBodySize = options.maxBodySize ?? '5m';
  const failTimeout = options.failTimeout ?? '10s';
  const lines = [];
  const add = (...more) => lines.push(...more);

  add(
    '# wasmactor behind nginx. Rendered by deploy/nginx/render.mjs from the replica list:',
    ...replicas.map((r) => `#   ${r.id} = ${r.address}`),
    '# Do not edit by hand: render again when the list changes. deploy/nginx/README.md explains each part.',
    '',
    '# Passive health: a replica that refused or dropped a connection once is left out of the balanced',
    `# group for ${failTimeout} (then tried again). Keepalive: HTTP/1.1 connections to the replicas are reused.`,
    'upstream wasmactor_all {',
    '    # shared by the worker processes: the connection counts and the failures of each replica',
    '    zone wasmactor_all 64k;',
    '    least_conn;',
    ...replicas.map((r) => `    server ${r.address} max_fails=1 fail_timeout=${failTimeout};`),
    '    keepalive 32;',
    "    # below Node's 5 s keep-alive: nginx never reuses a connection the replica is closing (a POST",
    '    # lost that way would not be retried)',
    '    keepalive_timeout 4s;',
    '}',
    '',
    '# One group per replica: where the calls of its handles and its 2025-era sessions go. A group of one',
    '# server is never marked down by nginx, so a dead owner is noticed at once (connection refused).',
  );
  for (const r of replicas) {
    add(
      `upstream wasmactor_${r.id} {`,
      `    server ${r.address};`,
      '    keepalive 8;',
      '    keepalive_timeout 4s;',
      '}',
    );
  }
  add(
    '',
    '# Per-agent instances: the handle (`_instance`, mirrored by the client into Mcp-Param-Instance) starts',
    '# with the id of the replica that holds the instance and a dot. A handle of a replica not in this list',
    '# goes to the balanced group, whose replica answers that the handle belongs to another server.',
    'map $http_mcp_param_instance $wasmactor_by_instance {',
    '    default "";',
    ...replicas.map((r) => `    ~^${r.id}\\. wasmactor_${r.id};`),
    '}',
    '',
    '# 2025-era sessions: the session id starts with the replica id too (`r1.<128 bits>`).',
    'map $http_mcp_session_id $wasmactor_by_session {',
    '    default "";',
    ...replicas.map((r) => `    ~^${r.id}\\. wasmactor_${r.id};`),
    '}',
    '',
    '# The handle wins over the session; with neither, any replica (2026-07-28 requests are stateless).',
    'map $wasmactor_by_session $wasmactor_pinned_or_all {',
    '    "" wasmactor_all;',
    '    default $wasmactor_by_session;',
    '}',
    'map $wasmactor_by_instance $wasmactor_upstream {',
    '    "" $wasmactor_pinned_or_all;',
    '    default $wasmactor_by_instance;',
    '}',
    '',
    '# Requests that only read (modern era: the client names the method in Mcp-Method, and the replica',
    '# refuses a request whose Mcp-Method disagrees with its body before running anything). Only these',
    '# are sent to another replica after the first one received them and failed.',
    'map $http_mcp_method $wasmactor_retry_safe {',
    '    default 0;',
    ...RETRY_SAFE_METHODS.map((m) => `    ${m} 1;`),
    '}',
    '',
    'server {',
    `    listen ${listen};`,
    `    server_name ${serverName};`,
    `    client_max_body_size ${maxBodySize};`,
    '',
    '    # Shared by every proxied location below.',
    '    proxy_http_version 1.1;',
    '    proxy_set_header Connection "";',
    '    # The replicas check Host and Origin (DNS rebinding): start them with --allow-host for the name',
    '    # clients use here. Authorization (the bearer token of --auth-token-file) is passed on as is.',
    '    proxy_set_header Host $http_host;',
    '    proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;',
    '    # SSE (2025-era GET streams, subscriptions/listen, progress during a call): nothing buffered, long',
    '    # reads. A replica that is down is noticed by the connection, not by these timeouts.',
    '    proxy_buffering off;',
    '    proxy_cache off;',
    '    proxy_connect_timeout 5s;',
    '    proxy_read_timeout 3600s;',
    '    proxy_send_timeout 60s;',
    '    # Retries: only a request that never reached a replica (connection refused or timed out before',
    '    # it was sent). POST is non-idempotent to nginx, so a tools/call that a replica received is never',
    '    # sent again, even if that replica then died: the client gets an error, never a second run.',
    '    proxy_next_upstream error timeout;',
    `    proxy_next_upstream_tries ${replicas.length};`,
    '    proxy_next_upstream_timeout 10s;',
    '    # nginx itself could not get an answer from the replica: say what that means, as JSON-RPC.',
    '    error_page 502 504 = @wasmactor_unreachable;',
    '    # A replica answers 503 only before it runs anything (it is shutting down, or has too many open',
    '    # requests): such a request is sent once more, to a replica chosen again (a rolling restart loses',
    '    # no call). Only the codes that have an error_page are intercepted; the others pass as they are.',
    '    error_page 503 = @wasmactor_refused;',
    '    proxy_intercept_errors on;',
    '',
    '    location = /mcp {',
    '        if ($wasmactor_retry_safe) {',
    '            rewrite ^ /wasmactor-retry-safe last;',
    '        }',
    '        proxy_pass http://$wasmactor_upstream/mcp$is_args$args;',
    '    }',
    '',
    '    # Discovery and list calls: also retried after a replica received them and failed or answered',
    '    # 502/503 (shutting down, too many streams), since running them twice changes nothing.',
    '    location = /wasmactor-retry-safe {',
    '        internal;',
    '        proxy_next_upstream error timeout http_502 http_503 non_idempotent;',
    '        proxy_pass http://$wasmactor_upstream/mcp$is_args$args;',
    '    }',
    '',
    '    # Alive check of one replica behind this nginx (any replica answers for the group).',
    '    location = /healthz {',
    '        proxy_intercept_errors off;',
    '        proxy_next_upstream error timeout http_502 http_503;',
    '        proxy_pass http://wasmactor_all/healthz;',
    '    }',
    '',
    '    # The second try after a 503: a closing replica refuses the new connection, so the request goes',
    '    # to another one; a handle or session of that replica gets "instance lost" / "session lost"; a',
    '    # second 503 (all busy) reaches the client as the replica wrote it.',
    '    location @wasmactor_refused {',
    '        proxy_intercept_errors off;',
    '        recursive_error_pages on;',
    '        proxy_pass http://$wasmactor_upstream$request_uri;',
    '    }',
    '',
    '    location @wasmactor_unreachable {',
    '        default_type application/json;',
    '        add_header Cache-Control no-store always;',
    '        if ($wasmactor_by_instance != "") {',
    '            return 503 \'{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"instance lost: the server that held this instance (the replica named before the first dot of the handle) is down or unreachable, and its state went with it; open a new instance with open-instance"}}\';',
    '        }',
    '        if ($wasmactor_by_session != "") {',
    '            return 404 \'{"jsonrpc":"2.0","id":null,"error":{"code":-32001,"message":"session lost: the server that held this session is down or unreachable; initialize a new session"}}\';',
    '        }',
    '        return 502 \'{"jsonrpc":"2.0","id":null,"error":{"code":-32002,"message":"no wasmactor replica answered: the request did not reach one, or the replica failed while answering (a tool call may have run); retry if that is safe"}}\';',
    '    }',
    '',
    '    location / {',
    '        default_type application/json;',
    '        return 404 \'{"error":"nothing here: MCP is served at /mcp"}\';',
    '    }',
    '}',
  );
  const body = lines.join('\n');
  if (!options.standalone) return `${body}\n`;
  return `${[
    '# A whole nginx.conf: run it with `nginx -p PREFIX -c FILE` (paths below are relative to PREFIX).',
    'worker_processes auto;',
    'events {',
    '    worker_connections 1024;',
    '}',
    'http {',
    '    access_log logs/access.log;',
    '    client_body_temp_path tmp/body;',
    '    proxy_temp_path tmp/proxy;',
    '    fastcgi_temp_path tmp/fastcgi;',
    '    uwsgi_temp_path tmp/uwsgi;',
    '    scgi_temp_path tmp/scgi;',
    '',
    ...body.split('\n').map((line) => (line === '' ? '' : `    ${line}`)),
    '}',
  ].join('\n')}\n`;
}

/**
 * The command line: ID=HOST:PORT... and the options above.
 * @param {string[]} argv
 * @returns {string}
 */
export function renderFromArgs(argv) {
  const options = { replicas: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === '--listen') options.listen = value();
    else if (arg === '--server-name') options.serverName = value();
    else if (arg === '--max-body-size') options.maxBodySize = value();
    else if (arg === '--fail-timeout') options.failTimeout = value();
    else if (arg === '--standalone') options.standalone = true;
    else if (arg.startsWith('-')) throw new Error(`unknown option ${arg}`);
    else options.replicas.push(parseReplica(arg));
  }
  return renderNginxConfig(options);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const argv = process.argv.slice(2);
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(USAGE);
  } else {
    try {
      process.stdout.write(renderFromArgs(argv));
    } catch (error) {
      process.stderr.write(`render.mjs: ${error.message}\n\n${USAGE}`);
      process.exitCode = 2;
    }
  }
}
