//go:build cgo && linux

package main

// #include <malloc.h>
import "C"

// trimCHeap gives the C heap's free pages back to the OS (glibc keeps what
// Mesa, SQLite and libjpeg-turbo freed for their next malloc): the C half
// of idleRelease.
func trimCHeap() { C.malloc_trim(0) }
