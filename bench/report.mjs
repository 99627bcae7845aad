// bench/report.mjs: turn bench/run.sh's raw lines into the results table.
//   node report.mjs RAW DAEMON BPF EVENTS CLK_TCK OUTDIR N_OPEN N_EXEC N_CONN
//                   N_MIX PIPE MEM PROP [GUARDS [STREAMS]]
// RAW lines: "<config> <workload> <wall_s> <cpu_s> <ops>", or "<config>
// <workload> failed" for a run that did not finish (killed); PIPE:
// two lines "<events> <seconds> <overflow>", first-seen then steady; MEM lines: "<workloads> <rss KiB of
// collectd profiled policyd enforced redis> <redis used bytes> <bpf map
// bytes> <redis keys>"; PROP: propagate's line; GUARDS lines: "<workload>
// <program> <ns> <runs>", the self-protection guards' kernel time in one
// enforce run; STREAMS: "<events entries> <bytes> <profiles entries>
// <bytes> <audit entries> <bytes>", the streams' Redis memory after the
// pipeline run.
import fs from 'node:fs';
import os from 'node:os';

const [raw, daemon, bpf, events, clk, out, nOpen, nExec, nConn, nMix, pipe, mem, prop, guards,
  streams] = process.argv.slice(2);
const all = fs.readFileSync(raw, 'utf8').trim().split('\n').map((l) => l.split(' '));
const lines = all.filter((l) => l[2] !== 'failed');
const failed = all.filter((l) => l[2] === 'failed');
const stat = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return { min: s[0], median: s[Math.floor(s.length / 2)], max: s[s.length - 1], n: s.length };
};
const configs = ['bare', 'observe', 'enforce', 'auditd'];
const workloads = ['open', 'exec', 'connect', 'mix', 'build'];
const res = { date: new Date().toISOString(),
  ops: { open: +nOpen, exec: +nExec, connect: +nConn, mix: +nMix, build: 1 }, results: {} };
for (const w of workloads) {
  res.results[w] = {};
  for (const c of configs) {
    const rows = lines.filter((l) => l[0] === c && l[1] === w);
    const nf = failed.filter((l) => l[0] === c && l[1] === w).length;
    if (rows.length === 0) {
      if (nf) res.results[w][c] = { failed: nf };
      continue;
    }
    res.results[w][c] = { wall: stat(rows.map((l) => +l[2])), cpu: stat(rows.map((l) => +l[3])),
      failed: nf };
  }
}
const pct = (x, b) => (b > 0 ? ((x / b - 1) * 100) : NaN);
// Daemons' CPU per million syscalls (syscalls counted by on_sys_enter).
const d = fs.readFileSync(daemon, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' ').map(Number));
const ticks = d.reduce((a, x) => a + x[0], 0), calls = d.reduce((a, x) => a + (x[1] || 0), 0);
res.daemons_cpu_ms_per_million_syscalls = calls ? (ticks * 1000 / +clk) / (calls / 1e6) : null;
// Kernel ns per program run.
const per = {};
for (const l of fs.readFileSync(bpf, 'utf8').trim().split('\n').filter(Boolean)) {
  const [name, ns, cnt] = l.split(' ');
  per[name] = per[name] || { ns: 0, cnt: 0 };
  per[name].ns += +ns; per[name].cnt += +cnt;
}
res.kernel_ns_per_run = Object.fromEntries(Object.entries(per).map(([k, v]) => [k, +(v.ns / v.cnt).toFixed(1)]));
const ev = fs.readFileSync(events, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' ').map(Number));
res.events = ev.reduce((a, x) => ({ seen: a.seen + x[0], deduplicated: a.deduplicated + x[1],
  emitted: a.emitted + x[2], lost: a.lost + x[3] }), { seen: 0, deduplicated: 0, emitted: 0, lost: 0 });

let md = `# Paddock benchmark, ${res.date}\n\n`;
md += `Median of ${lines.filter((l) => l[0] === 'bare' && l[1] === 'open').length} interleaved rounds `;
md += `(min..max in brackets). Overhead is versus bare, on the workload's own wall and CPU time.\n\n`;
md += '| workload | config | wall s | CPU s | wall overhead | CPU overhead |\n|---|---|---|---|---|---|\n';
for (const w of workloads) {
  const b = res.results[w].bare;
  for (const c of configs) {
    const r = res.results[w][c];
    if (!r) continue;
    if (!r.wall) {
      md += `| ${w} (${res.ops[w]}) | ${c} | failed in all ${r.failed} rounds | | | |\n`;
      continue;
    }
    md += `| ${w} (${res.ops[w]}) | ${c}${r.failed ? ` (${r.failed} failed)` : ''} | `
      + `${r.wall.median.toFixed(3)} [${r.wall.min.toFixed(3)}..${r.wall.max.toFixed(3)}] `;
    md += `| ${r.cpu.median.toFixed(3)} | ${c === 'bare' ? '-' : pct(r.wall.median, b.wall.median).toFixed(1) + ' %'} `;
    md += `| ${c === 'bare' ? '-' : pct(r.cpu.median, b.cpu.median).toFixed(1) + ' %'} |\n`;
  }
}
if (failed.length) {
  md += `\n${failed.length} run(s) did not finish: `
    + failed.map((l) => `${l[1]} in ${l[0]}`).join(', ')
    + ' (in enforce: killed for behaviour its policy did not allow, a false positive of the '
    + 'learnt baseline).\n';
}
md += `\nPaddock's daemons (collectd, profiled, policyd, enforced, redis): `;
md += `${res.daemons_cpu_ms_per_million_syscalls === null ? 'n/a' : res.daemons_cpu_ms_per_million_syscalls.toFixed(1)} ms CPU per million workload syscalls (one observe pass, all its work drained).\n\n`;
md += 'Kernel cost per program run (ns; an untimed pass after the rounds, with '
  + '`kernel.bpf_stats_enabled=1`):\n\n';
for (const [k, v] of Object.entries(res.kernel_ns_per_run)) md += `- ${k}: ${v}\n`;
md += `\nEvents in the observe rounds: seen ${res.events.seen}, deduplicated in the kernel ${res.events.deduplicated}, `;
md += `emitted ${res.events.emitted}, lost ${res.events.lost}.\n`;
if (!res.results.open.auditd) md += '\nauditd: not measured (not available, or the kernel refused audit).\n';

// Pipeline, memory, propagation.
const pl = fs.readFileSync(pipe, 'utf8').trim().split('\n').map((l) => l.split(' ').map(Number));
const prun = ([n, s, o]) => ({ events: n, seconds: s, events_per_s: Math.round(n / s), queue_full_retries: o });
res.pipeline = { first_seen: prun(pl[0]), steady: prun(pl[1] || pl[0]) };
res.pipeline.events_per_s = res.pipeline.steady.events_per_s;
md += '\n## Pipeline\n\nSynthetic events through collectd\'s publishing path, Redis and the profiler, '
  + 'timed until the profiler has consumed them all; none lost (the publisher waits for a full queue, '
  + 'nothing is dropped):\n\n| run | events | seconds | events/s | publisher waits |\n|---|---|---|---|---|\n';
for (const [k, v] of [['first-seen (every event new to its profile)', res.pipeline.first_seen],
  ['steady (the same files again)', res.pipeline.steady]])
  md += `| ${k} | ${v.events} | ${v.seconds.toFixed(2)} | **${v.events_per_s}** | ${v.queue_full_retries} |\n`;
res.memory = fs.readFileSync(mem, 'utf8').trim().split('\n').filter(Boolean).map((l) => {
  const v = l.split(' ').map(Number);
  return { workloads: v[0], rss_kib: { collectd: v[1], profiled: v[2], policyd: v[3], enforced: v[4], redis: v[5] },
    daemons_rss_mib: +((v[1] + v[2] + v[3] + v[4]) / 1024).toFixed(1),
    redis_used_mib: +(v[6] / 1048576).toFixed(1), bpf_maps_mib: +(v[7] / 1048576).toFixed(1),
    redis_used_bytes: v[6], redis_keys: v[8] };
});
md += '\n## Memory\n\n| workloads | collectd | profiled | policyd | enforced | four daemons | redis used | BPF maps |\n';
md += '|---|---|---|---|---|---|---|---|\n';
for (const m of res.memory) {
  const k = (x) => `${(x / 1024).toFixed(1)} MiB`;
  md += `| ${m.workloads} | ${k(m.rss_kib.collectd)} | ${k(m.rss_kib.profiled)} | ${k(m.rss_kib.policyd)} | `;
  md += `${k(m.rss_kib.enforced)} | ${m.daemons_rss_mib} MiB | ${m.redis_used_mib} MiB | ${m.bpf_maps_mib} MiB |\n`;
}
md += '\nRSS of each daemon; every workload was run once and given a policy in alert. BPF maps: '
  + 'the memory of every map our programs use (preallocated maps count in full).\n';
// Sizing: Redis keys and bytes per workload (the slope between the first
// and the last step: each workload ran once and has a policy in alert),
// and per million entries of the events and profiles streams.
{
  const a = res.memory[0], b = res.memory[res.memory.length - 1];
  res.sizing = {};
  if (a && b && b.workloads > a.workloads && Number.isFinite(b.redis_keys)) {
    const n = b.workloads - a.workloads;
    res.sizing.keys_per_workload = +((b.redis_keys - a.redis_keys) / n).toFixed(1);
    res.sizing.bytes_per_workload = Math.round((b.redis_used_bytes - a.redis_used_bytes) / n);
  }
  if (streams && fs.existsSync(streams)) {
    const [ne, be, np, bp, na, ba] = fs.readFileSync(streams, 'utf8').trim().split(' ').map(Number);
    if (ne > 0) res.sizing.bytes_per_event = Math.round(be / ne);
    if (np > 0) res.sizing.bytes_per_profile_record = Math.round(bp / np);
    if (na > 0) res.sizing.bytes_per_audit_entry = Math.round(ba / na);
  }
  const s = res.sizing;
  if (Object.keys(s).length) {
    md += '\n## Sizing (Redis)\n\n';
    if (s.keys_per_workload !== undefined)
      md += `- per workload (run once, with a policy in alert): ${s.keys_per_workload} keys, `
        + `${(s.bytes_per_workload / 1024).toFixed(1)} KiB\n`;
    if (s.bytes_per_event !== undefined)
      md += `- events stream: ${s.bytes_per_event} bytes per entry, `
        + `${(s.bytes_per_event / 1.048576).toFixed(0)} MiB per million entries\n`;
    if (s.bytes_per_profile_record !== undefined)
      md += `- profiles stream: ${s.bytes_per_profile_record} bytes per record\n`;
    if (s.bytes_per_audit_entry !== undefined)
      md += `- audit stream: ${s.bytes_per_audit_entry} bytes per entry (never trimmed)\n`;
  }
}
res.propagation = fs.readFileSync(prop, 'utf8').trim();
md += `\n## Policy propagation\n\nFrom \`paddockctl promote|demote\` to this host's enforcer acknowledging `;
md += `the revision (sent after the kernel's maps hold it): ${res.propagation}.\n`;
// The self-protection guards: their kernel time per operation of the exec
// and connect storms in enforce, against the bare run's time per operation
// (an upper bound: bpf_stats adds to each run it times).
res.guards = {};
if (guards && fs.existsSync(guards)) {
  const g = fs.readFileSync(guards, 'utf8').trim().split('\n').filter(Boolean).map((l) => l.split(' '));
  for (const w of ['exec', 'connect']) {
    const rows = g.filter((l) => l[0] === w),
      runs = lines.filter((l) => l[0] === 'stats-enforce' && l[1] === w).length;
    if (!rows.length || !runs || !res.results[w].bare) continue;
    const ns = rows.reduce((a, l) => a + +l[2], 0) / runs / res.ops[w];
    const by = {};
    for (const l of rows) by[l[1]] = +((by[l[1]] || 0) + +l[2] / runs / res.ops[w]).toFixed(1);
    res.guards[w] = { ns_per_op: +ns.toFixed(1), by_program: by,
      pct_of_bare: +(ns / (res.results[w].bare.wall.median * 1e9 / res.ops[w]) * 100).toFixed(2) };
  }
  if (Object.keys(res.guards).length) {
    md += '\n## Self-protection guards\n\nKernel time of the guards (fork, cgroup moves, sys_guard, ';
    md += 'the DNS question hook, socket creation, unix connects) per operation of the storm in enforce '
      + '(the untimed pass with bpf_stats on: an upper bound), ';
    md += 'against the bare run\'s wall time per operation:\n\n';
    for (const [w, v] of Object.entries(res.guards))
      md += `- ${w}: ${v.ns_per_op} ns per operation, ${v.pct_of_bare} % of bare (`
        + Object.entries(v.by_program).map(([k, x]) => `${k} ${x}`).join(', ') + ')\n';
  }
}
// Each target, met or missed, and why when missed.
const ov = (w, c) => (res.results[w] && res.results[w][c] && res.results[w].bare ?
  pct(res.results[w][c].wall.median, res.results[w].bare.wall.median) : NaN);
const big = res.memory[res.memory.length - 1];
const p99 = +((res.propagation.match(/p99 ([0-9.]+) ms/) || [])[1]);
const kns = (n) => (res.kernel_ns_per_run[n] === undefined ? '?' :
  (res.kernel_ns_per_run[n] / 1000).toFixed(1));
const why = {
  observe: `every exec costs the collector's BPF ~${kns('on_fork')} + ${kns('on_exec')} + `
    + `${kns('on_exit')} µs (fork, exec and exit: path walk, argv copy, ring buffer) and every `
    + `syscall on the host ~${kns('on_sys_enter')} µs (sys_enter, for the syscall dimension), `
    + 'measured above; on 2 cores the daemons digesting the events also compete with the workload',
  enforce: 'enforcement adds the exec hook (a path walk per exec) and a sys_exit program on every '
    + 'syscall of the host once any policy exists',
  pipeline: 'the profiler folds events in memory and Redis sees one script call per workload and '
    + 'flush, but the profiler\'s own work per event (decoding every record, discovery, observing, '
    + 'allocations) and building each view again on every change are what limit it on 2 cores',
  memory: big ? `the largest is ${Object.entries(big.rss_kib).filter(([k]) => k !== 'redis')
    .sort((x, y) => y[1] - x[1]).map(([k, v]) => `${k} (${(v / 1024).toFixed(1)} MiB)`)[0]}; `
    + 'each BPF daemon also maps its skeleton and libbpf, and collectd its ring buffer '
    + '(collectd.ringbuf_kb, 32 MiB: its RSS counts the pages read)' : '',
  auditd: 'for novel events Paddock\'s kernel work (lineage, path walk, ring buffer) is of the order '
    + 'of auditd\'s record; only repeats are cheap, deduplicated in the kernel',
  guards: 'the guards run on every fork, syscall, socket and DNS packet of the host; see their '
    + 'per-program split above',
  propagation: 'policyd serves commands and profiles in turn on one connection: a change made '
    + 'while the profiles of many workloads arrive waits behind them (the benchmark measures it '
    + 'after promoting 1,000 workloads and the pipeline run)',
};
const targets = [
  ['observe overhead on the mix (% wall)', ov('mix', 'observe'), 1, 'le', 'observe'],
  ['observe overhead on the build (% wall)', ov('build', 'observe'), 1, 'le', 'observe'],
  ['observe overhead on the open/close storm (% wall)', ov('open', 'observe'), 5, 'le', 'observe'],
  ['enforce overhead on the mix (% wall)', ov('mix', 'enforce'), 2, 'le', 'enforce'],
  ['pipeline, steady (events/s)', res.pipeline.steady.events_per_s, 500000, 'ge', 'pipeline'],
  ['pipeline, first-seen events (events/s)', res.pipeline.first_seen.events_per_s, 200000, 'ge',
    'pipeline'],
  [`four daemons' RSS with ${big ? big.workloads : '?'} workloads (MiB)`,
    big ? big.daemons_rss_mib : NaN, 64, 'le', 'memory'],
  ['propagation p99 (ms)', p99, 100, 'le', 'propagation'],
];
for (const w of ['exec', 'connect'])
  if (res.guards[w])
    targets.push([`self-protection guards on the ${w} storm (% of bare)`, res.guards[w].pct_of_bare,
      2, 'le', 'guards']);
for (const w of ['open', 'exec', 'connect'])
  if (!Number.isNaN(ov(w, 'auditd')))
    targets.push([`auditd's overhead over observe's, ${w} storm (×)`, ov(w, 'auditd') / ov(w, 'observe'),
      10, 'ge', 'auditd']);
res.targets = targets.map(([what, got, goal, dir, k]) => {
  const met = !Number.isNaN(got) && (dir === 'le' ? got <= goal : got >= goal);
  return { what, got: Number.isNaN(got) ? null : +got.toFixed(1), goal, met, why: met ? null : why[k] };
});
md += '\n## Against the targets\n\n| target | measured | goal | |\n|---|---|---|---|\n';
for (const t of res.targets)
  md += `| ${t.what} | ${t.got === null ? 'n/a' : t.got} | ${t.goal} | ${t.met ? 'met' : 'missed'} |\n`;
const missed = [...new Set(res.targets.filter((t) => !t.met).map((t) => t.why))];
if (missed.length) md += '\nWhy the misses:\n\n' + missed.map((w) => `- ${w}.`).join('\n') + '\n';
res.machine = { cpus: os.cpus().length, cpu: os.cpus()[0] ? os.cpus()[0].model : '?',
  mem_gib: +(os.totalmem() / 2 ** 30).toFixed(1), kernel: os.release(),
  bpf_stats_enabled_while_timing: false };
res.command = 'sudo make bench' + Object.entries(process.env).filter(([k]) => k.startsWith('BENCH_'))
  .map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join('');
md += `\nMachine: ${res.machine.cpus} × ${res.machine.cpu}, ${res.machine.mem_gib} GiB, kernel `;
md += `${res.machine.kernel}; \`kernel.bpf_stats_enabled=0\` while timing (stats add to every BPF `;
md += `program run: the per-program figures come from an untimed pass). Produced by \`${res.command}\`.\n`;
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(`${out}/results.json`, JSON.stringify(res, null, 1) + '\n');
fs.writeFileSync(`${out}/results.md`, md);
// docs/performance.md shows the latest table between its markers.
const doc = 'docs/performance.md';
if (fs.existsSync(doc)) {
  const d = fs.readFileSync(doc, 'utf8');
  const a = '<!-- results: written by bench/report.mjs -->\n', b = '<!-- end of results -->';
  if (d.includes(a) && d.includes(b))
    fs.writeFileSync(doc, d.slice(0, d.indexOf(a) + a.length) + md.replace(/^# .*\n\n/, '## Latest results\n\n')
      .replace(/^## (?!Latest)/gm, '### ') + d.slice(d.indexOf(b)));
}
console.log(md);
