package server

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/glpi-agentd/glpi-agentd/enroll"
)

// A check-in held through net/http costs two goroutines and their stacks,
// the connection's buffers and the request's state for as long as it is
// held: about 74 KiB a device over HTTP/2, which the agents' Go client
// negotiates. On the agents' listener that Serve runs, a held check-in is
// parked instead: its HTTP/1.1 connection is hijacked once the request is
// read and kept, with a small record, and no goroutine, until an action,
// the wait's timer, a newer check-in of the device or the service's stop
// answers it. The answered connection then goes back to the http.Server
// through parkListener, so the agent's keep-alive connection serves its
// next check-in without a new TLS handshake.
//
// A streamed check-in (enroll.CheckInRequest.Stream) may be held up to
// ten minutes rather than one: its answer's head is written when it is
// parked, then a keep-alive (a chunk of white space, which the JSON
// answer may begin with) every CheckInKeepAlive, then the JSON when it is
// answered. The connection thus carries data well within the idle limits
// of NATs, firewalls and load balancers, and a fleet's check-ins come back
// ten times less often: each costs a request's CPU, a keep-alive a write.

// parkKey is the context key under which Serve's connections carry the
// listener that takes parked connections back.
type parkKey struct{}

// Restart pacing: a stopping service tells the check-ins it answers to
// come back after a delay drawn from a window sized to how many it held,
// so that a restarted service sees at most about comeBackRate of them a
// second rather than all at once.
const (
	comeBackMin  = 5 // seconds
	comeBackRate = 500
	comeBackMax  = 15 * 60 // seconds
)

// parkListener is the agents' listener as the http.Server sees it: the
// connections accepted, and the connections of answered parked check-ins
// given back, which the http.Server serves again.
type parkListener struct {
	net.Listener
	conns chan accepted
	done  chan struct{}
	once  sync.Once

	// back has the connections given back that have not begun a new
	// request: a stopping service closes them (closeGivenBack) rather
	// than let Shutdown wait for each agent's next request.
	mu   sync.Mutex
	back map[net.Conn]struct{}
}

type accepted struct {
	c   net.Conn
	err error
}

func newParkListener(ln net.Listener) *parkListener {
	pl := &parkListener{Listener: ln, conns: make(chan accepted), done: make(chan struct{}), back: map[net.Conn]struct{}{}}
	go pl.acceptLoop()
	return pl
}

func (pl *parkListener) acceptLoop() {
	for {
		c, err := pl.Listener.Accept()
		select {
		case pl.conns <- accepted{c, err}:
		case <-pl.done:
			if c != nil {
				c.Close()
			}
			return
		}
		if errors.Is(err, net.ErrClosed) {
			return
		}
	}
}

func (pl *parkListener) Accept() (net.Conn, error) {
	select {
	case a := <-pl.conns:
		return a.c, a.err
	case <-pl.done:
		return nil, net.ErrClosed
	}
}

func (pl *parkListener) Close() error {
	err := net.ErrClosed
	pl.once.Do(func() {
		close(pl.done)
		err = pl.Listener.Close()
	})
	return err
}

// giveBack hands the connection of an answered check-in to the
// http.Server, or closes it once the listener is closed.
func (pl *parkListener) giveBack(c net.Conn) {
	pl.mu.Lock()
	pl.back[c] = struct{}{}
	pl.mu.Unlock()
	select {
	case pl.conns <- accepted{c: c}:
	case <-pl.done:
		pl.forget(c)
		c.Close()
	}
}

// connState is the http.Server's ConnState: a connection given back that
// begins a request, or ends, is no longer idle.
func (pl *parkListener) connState(c net.Conn, st http.ConnState) {
	if st != http.StateNew {
		pl.forget(c)
	}
}

func (pl *parkListener) forget(c net.Conn) {
	pl.mu.Lock()
	delete(pl.back, c)
	pl.mu.Unlock()
}

// closeGivenBack closes the connections given back that wait for their
// agent's next request: http.Server.Shutdown would wait 5 s for each
// (it counts a new connection as busy until then), and the agent, told
// when to come back, reconnects then.
func (pl *parkListener) closeGivenBack() {
	pl.mu.Lock()
	defer pl.mu.Unlock()
	for c := range pl.back {
		c.Close()
		delete(pl.back, c)
	}
}

// parking is the check-ins parked by a server.
type parking struct {
	mu     sync.Mutex
	parked map[*parked]struct{}
	closed bool
	comeIn int // seconds: the window of comeBack, set at close
}

// parked is a check-in waiting on a hijacked connection. Its mutex
// serialises the ways it can be answered; answered says it was.
type parked struct {
	s        *Server
	ln       *parkListener
	conn     net.Conn
	deviceID string
	header   http.Header
	resp     enroll.CheckInResponse
	close    bool // the agent asked to close the connection
	stream   bool // the answer's head is written; keep-alives until the JSON
	deadline time.Time

	mu       sync.Mutex
	answered bool
	timer    *time.Timer
	stopWait func()
	release  func()
}

// parkable reports whether the check-in of r may be parked: an HTTP/1
// request on Serve's listener.
func parkable(w http.ResponseWriter, r *http.Request) (*parkListener, bool) {
	pl, ok := r.Context().Value(parkKey{}).(*parkListener)
	if !ok || r.ProtoMajor != 1 {
		return nil, false
	}
	_, ok = w.(http.Hijacker)
	return pl, ok
}

// parkCheckIn answers the check-in of deviceID at once when an action is
// waiting, and otherwise parks it for up to wait, streamed if asked.
func (s *Server) parkCheckIn(w http.ResponseWriter, r *http.Request, pl *parkListener, deviceID string, resp enroll.CheckInResponse, wait time.Duration, stream bool) {
	p := &parked{s: s, ln: pl, deviceID: deviceID, resp: resp, close: r.Close}
	// Nothing answers p before it is parked: the hub's calls wait here.
	p.mu.Lock()
	defer p.mu.Unlock()
	p.release = s.hub.holdFunc(deviceID, p.replaced)
	p.stopWait = s.hub.waitFunc(deviceID, p.wake)
	actions, err := s.st.DeliverActions(r.Context(), deviceID, s.now(), redeliverAfter)
	if err == nil && len(actions) == 0 {
		conn, err := p.hijack(w)
		if err != nil {
			// Answered already, or the connection is lost.
			s.log.Debug("check-in not parked", "device_id", deviceID, "err", err)
			p.drop()
			return
		}
		p.conn, p.header = conn, w.Header().Clone()
		if stream && !p.writeHead() {
			p.drop()
			conn.Close()
			return
		}
		p.stream, p.deadline = stream, time.Now().Add(wait)
		p.timer = time.AfterFunc(p.untilTick(), p.tick)
		s.metrics.held.Add(1)
		if !s.parking.add(p) {
			// The service is stopping.
			p.resp.Poll, p.close = s.parking.comeBack(), true
			p.answerLocked(http.StatusOK, &p.resp, 0)
		}
		return
	}
	p.drop()
	if err != nil {
		s.unavailable(w, "deliver actions", deviceID, err)
		return
	}
	for _, a := range actions {
		resp.Actions = append(resp.Actions, enroll.Action{ID: a.ID, Type: a.Type, Full: a.Full, Categories: a.Categories, Config: a.Config})
	}
	s.metrics.checkIn(len(actions))
	writeJSON(w, http.StatusOK, resp)
}

// drop gives up parking p, answered by the handler instead: the hub's
// calls waiting on p.mu then find it answered. p.mu is held.
func (p *parked) drop() {
	p.answered = true
	p.stopWait()
	p.release()
}

// hijack takes the connection of the check-in from net/http, with no
// deadline. A connection with bytes read beyond the request (a pipelined
// one) is refused, the error saying so.
func (p *parked) hijack(w http.ResponseWriter) (net.Conn, error) {
	conn, brw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return nil, err
	}
	if brw.Reader.Buffered() > 0 {
		// Answer now, without the bytes net/http read ahead: the agent
		// comes back on a new connection.
		p.conn, p.header, p.close = conn, w.Header().Clone(), true
		p.resp.Poll = 0
		p.writeLocked(http.StatusOK, &p.resp, 0)
		return nil, errPipelined
	}
	conn.SetDeadline(time.Time{})
	return conn, nil
}

var errPipelined = errors.New("check-in pipelined: not parked")

// wake looks for the device's actions after a notify, and answers with
// them, or waits for the next notify.
func (p *parked) wake() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.answered {
		return
	}
	if p.gone() {
		// The agent left: its actions stay queued for its next check-in.
		p.abandonLocked()
		return
	}
	// Waiting again before looking, as the held check-in does.
	p.stopWait = p.s.hub.waitFunc(p.deviceID, p.wake)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	actions, err := p.s.st.DeliverActions(ctx, p.deviceID, p.s.now(), redeliverAfter)
	switch {
	case err != nil:
		p.s.log.Error("deliver actions", "device_id", p.deviceID, "err", err)
		p.answerLocked(http.StatusServiceUnavailable, enroll.ErrorBody{Reason: enroll.ReasonInternal, Message: "try again later"}, 5*time.Second)
	case len(actions) > 0:
		for _, a := range actions {
			p.resp.Actions = append(p.resp.Actions, enroll.Action{ID: a.ID, Type: a.Type, Full: a.Full, Categories: a.Categories, Config: a.Config})
		}
		p.answerLocked(http.StatusOK, &p.resp, 0)
	case p.s.revoked(ctx, p.deviceID):
		p.answerLocked(http.StatusForbidden, revokedBody, 0)
	}
}

// tick answers with no action when the wait is over, and otherwise
// writes a streamed check-in's keep-alive.
func (p *parked) tick() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.answered {
		return
	}
	if !p.stream || !time.Now().Before(p.deadline) {
		p.answerLocked(http.StatusOK, &p.resp, 0)
		return
	}
	if !p.writeRaw(keepAliveChunk) {
		// The agent is gone: its actions wait for its next check-in.
		p.abandonLocked()
		return
	}
	p.timer.Reset(p.untilTick())
}

// untilTick is the time until the next keep-alive or the wait's end.
func (p *parked) untilTick() time.Duration {
	left := time.Until(p.deadline)
	if p.stream {
		return min(left, p.s.cfg.CheckInKeepAlive)
	}
	return left
}

// keepAliveChunk is a chunk of one newline: white space the JSON answer
// may begin with.
var keepAliveChunk = []byte("1\r\n\n\r\n")

// writeHead writes the head of a streamed check-in's answer: 200, its
// body chunked. p.mu is held.
func (p *parked) writeHead() bool {
	h := p.header
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	h.Set("Transfer-Encoding", "chunked")
	if p.close {
		h.Set("Connection", "close")
	}
	var buf bytes.Buffer
	buf.WriteString("HTTP/1.1 200 OK\r\n")
	h.Write(&buf)
	buf.WriteString("\r\n")
	return p.writeRaw(buf.Bytes())
}

// writeRaw writes b on p's connection, within 10 seconds.
func (p *parked) writeRaw(b []byte) bool {
	p.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	_, err := p.conn.Write(b)
	p.conn.SetWriteDeadline(time.Time{})
	return err == nil
}

// replaced answers, with no action, a check-in a newer one of the device
// replaced, telling it to poll later rather than come back at once and
// replace the newer one in turn.
func (p *parked) replaced() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.answered {
		p.resp.Poll = shortPollInterval
		p.answerLocked(http.StatusOK, &p.resp, 0)
	}
}

// stop answers a check-in when the service stops, telling it when to
// come back, and closes its connection.
func (p *parked) stop(poll int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.answered {
		p.resp.Poll, p.close = poll, true
		p.answerLocked(http.StatusOK, &p.resp, 0)
	}
}

// gone reports whether the agent closed the parked connection: a read
// finds its end within a millisecond. A live agent sends nothing while it
// waits, so the read times out (which leaves a TLS connection usable);
// bytes read are bytes the service could not serve, and count as gone.
func (p *parked) gone() bool {
	p.conn.SetReadDeadline(time.Now().Add(time.Millisecond))
	var b [1]byte
	_, err := p.conn.Read(b[:])
	p.conn.SetReadDeadline(time.Time{})
	var ne net.Error
	return !errors.As(err, &ne) || !ne.Timeout()
}

// abandonLocked ends the parking of p without an answer and closes its
// connection; p.mu is held.
func (p *parked) abandonLocked() {
	p.endLocked()
	p.conn.Close()
}

// endLocked ends the parking of p; p.mu is held.
func (p *parked) endLocked() {
	p.answered = true
	p.timer.Stop()
	p.stopWait()
	p.release()
	p.s.parking.remove(p)
	p.s.metrics.held.Add(-1)
}

// answerLocked ends the parking of p and writes its answer; p.mu is held.
// A streamed answer has said 200 already: another status becomes an
// answer with no action telling the agent when to come back, when its
// next check-in gets the status.
func (p *parked) answerLocked(status int, v any, retryAfter time.Duration) {
	p.endLocked()
	if p.stream && status != http.StatusOK {
		p.resp.Actions, p.resp.Poll = []enroll.Action{}, int(retryAfter.Seconds()+0.999)
		status, v = http.StatusOK, &p.resp
	}
	if status == http.StatusOK {
		p.s.metrics.checkIn(len(p.resp.Actions))
	}
	if p.writeLocked(status, v, retryAfter) {
		p.ln.giveBack(p.conn)
	}
}

// writeLocked writes the HTTP/1.1 answer on p's connection and reports
// whether the connection may serve again; otherwise it is closed.
func (p *parked) writeLocked(status int, v any, retryAfter time.Duration) bool {
	body, err := json.Marshal(v)
	if err != nil {
		p.conn.Close()
		return false
	}
	body = append(body, '\n')
	if p.stream {
		var buf bytes.Buffer
		fmt.Fprintf(&buf, "%x\r\n", len(body))
		buf.Write(body)
		buf.WriteString("\r\n0\r\n\r\n")
		if !p.writeRaw(buf.Bytes()) || p.close {
			p.conn.Close()
			return false
		}
		return true
	}
	h := p.header
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat))
	if retryAfter > 0 {
		h.Set("Retry-After", strconv.Itoa(int(retryAfter.Seconds()+0.999)))
	}
	resp := &http.Response{StatusCode: status, ProtoMajor: 1, ProtoMinor: 1, Header: h, Close: p.close,
		ContentLength: int64(len(body)), Body: io.NopCloser(bytes.NewReader(body))}
	var buf bytes.Buffer
	resp.Write(&buf)
	p.conn.SetWriteDeadline(time.Now().Add(10 * time.Second))
	if _, err := p.conn.Write(buf.Bytes()); err != nil || p.close {
		p.conn.Close()
		return false
	}
	p.conn.SetWriteDeadline(time.Time{})
	return true
}

// add parks p, unless the service is stopping.
func (pk *parking) add(p *parked) bool {
	pk.mu.Lock()
	defer pk.mu.Unlock()
	if pk.closed {
		return false
	}
	if pk.parked == nil {
		pk.parked = map[*parked]struct{}{}
	}
	pk.parked[p] = struct{}{}
	return true
}

func (pk *parking) remove(p *parked) {
	pk.mu.Lock()
	delete(pk.parked, p)
	pk.mu.Unlock()
}

// close answers every parked check-in, each told to come back within a
// window sized to the check-ins held, and makes later ones answer so too.
func (pk *parking) close(held int64) {
	pk.mu.Lock()
	pk.closed = true
	pk.comeIn = comeBackWindow(held)
	all := make([]*parked, 0, len(pk.parked))
	for p := range pk.parked {
		all = append(all, p)
	}
	pk.mu.Unlock()
	var wg sync.WaitGroup
	for part := range slices.Chunk(all, max(1, (len(all)+3)/4)) {
		wg.Go(func() {
			for _, p := range part {
				p.stop(pk.comeBack())
			}
		})
	}
	wg.Wait()
}

// comeBack is a poll, in seconds, drawn from the window set at close.
func (pk *parking) comeBack() int {
	pk.mu.Lock()
	w := pk.comeIn
	pk.mu.Unlock()
	if w == 0 {
		w = comeBackWindow(0)
	}
	return comeBackMin + rand.IntN(w)
}

// comeBackWindow is the span, in seconds, over which held check-ins
// answered at a stop are told to come back: at least comeBackMin, long
// enough that they come back at about comeBackRate a second, at most
// comeBackMax.
func comeBackWindow(held int64) int {
	return int(min(max(comeBackMin, held/comeBackRate), comeBackMax))
}

// parkingListener is ln as Serve's http.Server takes it: over TLS with
// certFile and keyFile when set, HTTP/1.1 only so that held check-ins can
// be parked (HTTP/2 offers no connection to park), and taking back the
// connections of answered check-ins. The requests it serves carry it in
// their context.
func (s *Server) parkingListener(hs *http.Server, ln net.Listener, certFile, keyFile string) (*parkListener, error) {
	if certFile != "" {
		cert, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("load TLS certificate: %w", err)
		}
		tc := hs.TLSConfig.Clone()
		tc.Certificates = []tls.Certificate{cert}
		tc.NextProtos = []string{"http/1.1"}
		// Agents never resume a TLS session (their clients keep no
		// session cache), so a ticket would be sealed and sent for
		// nothing on every connection.
		tc.SessionTicketsDisabled = true
		ln = tls.NewListener(ln, tc)
	}
	pl := newParkListener(ln)
	hs.ConnContext = func(ctx context.Context, _ net.Conn) context.Context { return context.WithValue(ctx, parkKey{}, pl) }
	hs.ConnState = pl.connState
	return pl, nil
}
