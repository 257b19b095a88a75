// A stand-in for GitHub's REST API, for the browser test of the Sources page's backfill button
// (GitHub is not reachable from here). It answers as the API does for one repository, with the
// recorded webhook objects of core/tests/fixtures/github (octokit/webhooks, MIT; see NOTICE
// there), which are the objects the REST lists return, their times moved into the last days so
// that a backfill of the last 30 days reaches them:
//
//   GET /repos/Codertocat/Hello-World                          the repository
//   GET /repos/…/deployments, /deployments/{id}/statuses       two deployments, each successful
//   GET /repos/…/actions/runs, /actions/runs/{id}/jobs         a workflow run and its job
//   GET /repos/…/pulls, /pulls/{n}/reviews                     a pull request and a review
//   GET /repos/…/issues?labels=incident                        an incident issue
//
// It checks what a client of GitHub must send (Authorization: Bearer TOKEN, Accept:
// application/vnd.github+json, X-GitHub-Api-Version, a User-Agent): a request without them is
// answered 401 or 400, as GitHub would, and listed at GET /_seen with every request.
//
//   PORT=… TOKEN=… SHAS=<older sha>,<newer sha> node end2end/github/rest.mjs
//
// SHAS: the commits the two deployments shipped (the test's git mirror has them). Prints
// `ready <url>` once it listens; stops on SIGTERM/SIGINT.
import * as http from 'node:http';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

function env(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`rest.mjs: env ${name} is required`);
    process.exit(2);
  }
  return value;
}

const port = Number(env('PORT'));
const token = env('TOKEN');
const [olderSha, newerSha] = env('SHAS').split(',');
const REPO = 'Codertocat/Hello-World';
const here = path.dirname(fileURLToPath(import.meta.url));
const fixture = (name) =>
  JSON.parse(fs.readFileSync(path.join(here, '..', '..', 'core', 'tests', 'fixtures', 'github', `${name}.payload.json`), 'utf8'));

const HOUR = 3_600_000;
const now = Date.now();
const TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;
const iso = (ms) => new Date(Math.floor(ms / 1000) * 1000).toISOString().replace('.000Z', 'Z');

/** `v` with every time in it moved by the same amount, so that its `field` is at `at` (ms). */
function movedTo(v, field, at) {
  const delta = at - Date.parse(v[field]);
  const walk = (x) => {
    if (typeof x === 'string' && TIME.test(x)) return iso(Date.parse(x) + delta);
    if (Array.isArray(x)) return x.map(walk);
    if (x && typeof x === 'object') return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, walk(y)]));
    return x;
  };
  return walk(v);
}

const repository = fixture('deployment').repository;
const deployment = (id, sha, at) => ({ ...movedTo(fixture('deployment').deployment, 'created_at', at), id, sha });
// Newest first, as GitHub lists them.
const deployments = [deployment(2, newerSha, now - 24 * HOUR), deployment(1, olderSha, now - 72 * HOUR)];
const statuses = (d) => [{
  ...movedTo(fixture('deployment_status').deployment_status, 'created_at', Date.parse(d.created_at) + 10 * 60_000),
  id: d.id * 10,
  state: 'success',
}];
const run = { ...movedTo(fixture('workflow_run.completed').workflow_run, 'created_at', now - 30 * HOUR), id: 7001 };
const job = { ...movedTo(fixture('workflow_job.completed.success.with-organization').workflow_job, 'created_at', now - 30 * HOUR), run_id: 7001 };
const pull = movedTo(fixture('pull_request.closed').pull_request, 'updated_at', now - 48 * HOUR);
const review = { ...movedTo(fixture('pull_request_review.submitted').review, 'submitted_at', now - 50 * HOUR), user: { login: 'hubot', id: 1, type: 'User' } };
const issue = { ...movedTo(fixture('issues.opened').issue, 'created_at', now - 20 * HOUR), labels: [{ name: 'incident' }] };

const seen = [];

function reply(res, status, body, headers = {}) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

function answer(req, res) {
  const url = new URL(req.url, `http://127.0.0.1:${port}`);
  if (url.pathname === '/_seen') return reply(res, 200, seen);
  const problems = [];
  if (req.headers.authorization !== `Bearer ${token}`) problems.push('authorization');
  if (req.headers.accept !== 'application/vnd.github+json') problems.push('accept');
  if (req.headers['x-github-api-version'] !== '2022-11-28') problems.push('x-github-api-version');
  if (!(req.headers['user-agent'] ?? '').startsWith('nagare/')) problems.push('user-agent');
  seen.push({ method: req.method, path: url.pathname + url.search, problems });
  if (problems.includes('authorization')) return reply(res, 401, { message: 'Bad credentials' });
  if (problems.length || req.method !== 'GET') return reply(res, 400, { message: `wrong request: ${problems.join(', ') || req.method}` });

  const rest = url.pathname.startsWith(`/repos/${REPO}`) ? url.pathname.slice(`/repos/${REPO}`.length) : null;
  let m;
  if (rest === null) return reply(res, 404, { message: 'Not Found' });
  if (rest === '') return reply(res, 200, repository);
  if (rest === '/deployments') return reply(res, 200, deployments);
  if ((m = rest.match(/^\/deployments\/(\d+)\/statuses$/))) {
    const d = deployments.find((d) => String(d.id) === m[1]);
    return d ? reply(res, 200, statuses(d)) : reply(res, 404, { message: 'Not Found' });
  }
  if (rest === '/actions/runs') return reply(res, 200, { total_count: 1, workflow_runs: [run] });
  if (rest === `/actions/runs/${run.id}/jobs`) return reply(res, 200, { total_count: 1, jobs: [job] });
  if (rest === '/pulls') return reply(res, 200, [pull]);
  if (rest === `/pulls/${pull.number}/reviews`) return reply(res, 200, [review]);
  if (rest === '/issues') return reply(res, 200, url.searchParams.get('labels') === 'incident' ? [issue] : []);
  return reply(res, 404, { message: 'Not Found' });
}

const server = http.createServer(answer);
server.listen(port, '127.0.0.1', () => console.log(`ready http://127.0.0.1:${port}`));
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
