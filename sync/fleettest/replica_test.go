package fleettest

import (
	"bufio"
	"io"
	"net"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// replica is one `signkiosk headoffice` process, on ports it keeps across
// restarts (the balancer knows it by them).
type replica struct {
	bin, data, roots string
	store            []string
	api, dl          string // host:port
	cmd              *exec.Cmd
	exited           chan error
	log              *strings.Builder
	mu               sync.Mutex
}

func newReplica(t *testing.T, bin, data, roots string, store []string) *replica {
	return &replica{bin: bin, data: data, roots: roots, store: store, api: freePort(t), dl: freePort(t), log: &strings.Builder{}}
}

// freePort is a loopback address nothing listens on now.
func freePort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	defer l.Close()
	return l.Addr().String()
}

var serving = regexp.MustCompile(`^enrolled kiosks: `)

// start runs the process and waits until it serves.
func (r *replica) start(t *testing.T) {
	t.Helper()
	args := append([]string{"headoffice", "--data", r.data, "--roots", r.roots, "--listen", r.api, "--download-listen", r.dl}, r.store...)
	cmd := exec.Command(r.bin, args...)
	out, err := cmd.StdoutPipe()
	must(t, err)
	cmd.Stderr = &lockedWriter{mu: &r.mu, w: r.log}
	must(t, cmd.Start())
	up := make(chan bool, 1)
	go func() {
		sc := bufio.NewScanner(out)
		said := false
		for sc.Scan() {
			if !said && serving.MatchString(sc.Text()) {
				said = true
				up <- true
			}
		}
		if !said {
			up <- false
		}
	}()
	r.cmd, r.exited = cmd, make(chan error, 1)
	go func() { r.exited <- cmd.Wait() }()
	select {
	case ok := <-up:
		if !ok {
			t.Fatalf("head office did not start: %s", r.logText())
		}
	case <-time.After(60 * time.Second):
		t.Fatalf("head office not serving after 60 s: %s", r.logText())
	}
}

// kill is a crash: SIGKILL, nothing flushed or answered.
func (r *replica) kill(t *testing.T) {
	must(t, r.cmd.Process.Kill())
	<-r.exited
}

// stop asks the process to finish and waits.
func (r *replica) stop(t *testing.T) {
	_ = r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(30 * time.Second):
		t.Errorf("head office did not stop: %s", r.logText())
		_ = r.cmd.Process.Kill()
	}
}

func (r *replica) logText() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.log.String()
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

// balancer passes each TCP connection (TLS end to end: the kiosks' client
// certificates reach head office) to the replicas in turn, to the next
// when one does not answer, as a load balancer in front of them would.
type balancer struct {
	ln       net.Listener
	replicas []*replica
	next     atomic.Uint64
}

func newBalancer(t *testing.T, replicas []*replica) *balancer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	b := &balancer{ln: ln, replicas: replicas}
	t.Cleanup(func() { ln.Close() })
	go b.serve()
	return b
}

func (b *balancer) url() string { return "https://" + b.ln.Addr().String() }

func (b *balancer) serve() {
	for {
		c, err := b.ln.Accept()
		if err != nil {
			return
		}
		go b.pass(c)
	}
}

func (b *balancer) pass(c net.Conn) {
	defer c.Close()
	var up net.Conn
	first := b.next.Add(1)
	for i := range uint64(len(b.replicas)) {
		r := b.replicas[(first+i)%uint64(len(b.replicas))]
		var err error
		if up, err = net.DialTimeout("tcp", r.api, time.Second); err == nil {
			break
		}
	}
	if up == nil {
		return // none up: the kiosk retries later
	}
	defer up.Close()
	done := make(chan struct{}, 2)
	go func() { io.Copy(up, c); up.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, up); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
}
