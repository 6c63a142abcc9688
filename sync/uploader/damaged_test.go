package uploader

import (
	"fmt"
	"strings"
	"testing"

	"almatel.kz/signkiosk/sync/outbox"
)

// A payload whose stored bytes are damaged is a dead letter at once, with
// the reason for staff: sending it again cannot mend it, and ten retries
// spread over nights would keep every sync "unsettled" meanwhile. The other
// packages go.
func TestDamagedPayloadDeadAtOnce(t *testing.T) {
	e := newFakeEnv(t, nil)
	ids := e.q.add(3, 1000)
	e.q.(*fakeQueue).payErr[ids[0]] = fmt.Errorf("outbox: package %s: %w", ids[0], outbox.ErrPayloadDamaged)
	rep := e.run()
	it := e.q.get(ids[0])
	if rep.Delivered != 2 || rep.Dead != 1 || rep.Failed != 0 || it.state != stateDead || !strings.Contains(it.lastErr, "payload damaged") {
		t.Fatalf("report %+v, item state %v %q", rep, it.state, it.lastErr)
	}
}
