//go:build race

package crashtest

// raceOn scales the run down: the race detector slows both processes
// several times over.
const raceOn = true
