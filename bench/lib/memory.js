'use strict';
// Resident memory is read from /proc (Linux): it is what the kernel charges the process, heap or not.
const { readFileSync } = require('node:fs');

function rssKib(pid) {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : null;
  } catch {
    return null; // Process gone, or no /proc on this system.
  }
}

/** Samples `pid` every `intervalMs` until stop(), which returns the peak in MiB (null if never readable). */
function sampleRss(pid, intervalMs = 200) {
  let peakKib = null;
  const sample = () => {
    const kib = rssKib(pid);
    if (kib !== null && (peakKib === null || kib > peakKib)) peakKib = kib;
  };
  sample();
  // unref: a run that fails before stop() must still be able to exit.
  const timer = setInterval(sample, intervalMs).unref();
  return {
    stop() {
      clearInterval(timer);
      sample();
      return peakKib === null ? null : peakKib / 1024;
    },
  };
}

module.exports = { sampleRss };
