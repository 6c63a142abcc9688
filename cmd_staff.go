package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"almatel.kz/signkiosk/app/staffpin"
)

// runStaffPIN reads a staff PIN from stdin and prints the config line that
// holds its hash. The PIN is read from stdin, not an argument, so it stays
// out of the shell history and the process list.
func runStaffPIN(_ context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintln(stderr, "signkiosk staff-pin: takes no arguments; give the PIN on stdin (e.g. `read -s PIN; echo $PIN | signkiosk staff-pin`)")
		return 2
	}
	line, err := bufio.NewReader(io.LimitReader(stdin, 256)).ReadString('\n')
	if err != nil && err != io.EOF {
		fmt.Fprintf(stderr, "signkiosk staff-pin: read PIN: %v\n", err)
		return 2
	}
	pin := strings.TrimSpace(line)
	if !staffpin.ValidPIN(pin) {
		fmt.Fprintln(stderr, "signkiosk staff-pin: the PIN must be 4 to 12 digits")
		return 2
	}
	h, err := staffpin.Hash(pin)
	if err != nil {
		fmt.Fprintf(stderr, "signkiosk staff-pin: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "# [staff] section of the kiosk config\npin_hash = %q\n", h)
	return 0
}
