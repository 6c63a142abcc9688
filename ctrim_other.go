//go:build !cgo || !linux

package main

// trimCHeap: without cgo on glibc there is no C heap of ours to trim.
func trimCHeap() {}
