// The exit codes of the vidsync program beyond 0 (done) and 1 (an error,
// printed as one `Error: …` line: cert/common.ts), in one place, for
// supervisors and scripts (README: The CLI).

/** `vidsync up`: the device was revoked and the agent stopped for good; a supervisor must not restart it. */
export const EXIT_REVOKED = 3;

/** `vidsync status`: the agent does not run (stopped, gone or revoked), the code `systemctl status` gives a unit that does not run. */
export const EXIT_NOT_RUNNING = 3;
