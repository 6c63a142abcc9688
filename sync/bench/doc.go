// Package bench holds the sync path's end-to-end benchmarks (issue 4): the
// kiosk's outbox + uploader against plain PUTs of the same bodies over
// loopback mTLS, the real head-office receiver, and memory while syncing a
// long queue. Everything is in _test.go files; see docs/BENCHMARKS.md.
package bench
