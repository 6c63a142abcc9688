package uploader

import (
	"bytes"
	"sync"
	"sync/atomic"
)

// payloadBuf is one worker's reusable payload buffer. Go's transport may
// still be writing a request body after Client.Do returns (a server that
// answers before reading it all), so the buffer is handed out again only
// when every body made from it has been closed; otherwise the worker lets it
// go to the garbage collector and starts a new one. Reuse is an
// optimisation; correctness never depends on a Close.
type payloadBuf struct {
	b    []byte
	open atomic.Int32 // bodies made from b and not yet closed
}

// body is a request body over the buffer's current contents.
func (p *payloadBuf) body(data []byte) *reqBody {
	p.open.Add(1)
	return &reqBody{Reader: bytes.NewReader(data), done: func() { p.open.Add(-1) }}
}

// free is p if no body made from it is still open, otherwise a new
// payloadBuf (the old one stays with the bodies that hold it).
func (p *payloadBuf) free() *payloadBuf {
	if p == nil || p.open.Load() != 0 {
		return new(payloadBuf)
	}
	return p
}

type reqBody struct {
	*bytes.Reader
	once sync.Once
	done func()
}

func (r *reqBody) Close() error {
	r.once.Do(r.done)
	return nil
}
