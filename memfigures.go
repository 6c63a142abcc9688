package main

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"runtime"
	"strconv"
)

// memFigures is what the process holds at one moment: the kernel's resident
// set (Go heap, C heaps, GL buffers, mapped code), the Go heap still live
// after a collection, and the goroutines. A session that leaves something
// behind shows in one of them growing session after session.
type memFigures struct {
	RSS        uint64 // bytes, VmRSS before the collection
	File       uint64 // bytes of RSS that are mapped files (the binary, libraries): the rest is anonymous (heaps, GL buffers)
	Live       uint64 // bytes, HeapAlloc after runtime.GC
	GoHeld     uint64 // bytes the Go runtime holds from the OS (Sys less what it released): the rest of RSS is C's and the code's
	Goroutines int
}

// readMem reads RSS first, then collects: the collection returns heap to
// the OS only later, so RSS is what the process held in its ordinary course.
func readMem() (memFigures, error) {
	rss, err := readRSS()
	if err != nil {
		return memFigures{}, err
	}
	file, err := readStatus("RssFile:")
	if err != nil {
		return memFigures{}, err
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return memFigures{RSS: rss, File: file, Live: ms.HeapAlloc, GoHeld: ms.Sys - ms.HeapReleased, Goroutines: runtime.NumGoroutine()}, nil
}

func (m memFigures) String() string {
	return fmt.Sprintf("rss %.1f MB (files %.1f), live heap %.1f MB, go runtime holds %.1f MB, %d goroutines", mb(m.RSS), mb(m.File), mb(m.Live), mb(m.GoHeld), m.Goroutines)
}

func mb(b uint64) float64 { return float64(b) / (1 << 20) }

// readRSS is VmRSS from /proc/self/status, in bytes.
func readRSS() (uint64, error) { return readStatus("VmRSS:") }

// readStatus is a kB line of /proc/self/status, in bytes.
func readStatus(name string) (uint64, error) {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, fmt.Errorf("rss: %w", err)
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		f := bytes.Fields(sc.Bytes())
		if len(f) == 3 && string(f[0]) == name {
			kb, err := strconv.ParseUint(string(f[1]), 10, 64)
			if err != nil {
				return 0, fmt.Errorf("rss: %w", err)
			}
			return kb << 10, nil
		}
	}
	return 0, fmt.Errorf("rss: no %s in /proc/self/status", name)
}
