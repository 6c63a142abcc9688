// Package crashtest holds the kiosk-side crash test of the sync path: a
// helper subprocess enqueues and uploads signed packages and is killed with
// SIGKILL at random moments, then restarted, and head office must end up
// holding every package exactly once. It has no non-test code.
package crashtest
