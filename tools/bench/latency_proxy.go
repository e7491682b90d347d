package main

import (
	"io"
	"net"
	"sync"
	"time"
)

// latencyProxy stands for the network between Terraform and a fleet: it forwards TCP
// connections from a port on 127.0.0.1 to target and delivers every chunk half the
// round-trip time after it was read, in each direction, in order (no bandwidth limit).
// It lives as long as the bench.
// This machine has no netem; every contender connects through the same proxy.
type latencyProxy struct {
	ln     net.Listener
	target string
	oneWay time.Duration
}

func startLatencyProxy(target string, rtt time.Duration) (*latencyProxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &latencyProxy{ln: ln, target: target, oneWay: rtt / 2}
	go p.serve()
	return p, nil
}

func (p *latencyProxy) port() int {
	addr, _ := p.ln.Addr().(*net.TCPAddr)
	return addr.Port
}

func (p *latencyProxy) serve() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		go p.forward(client)
	}
}

func (p *latencyProxy) forward(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		_ = client.Close()
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.delay(client, server) }()
	go func() { defer wg.Done(); p.delay(server, client) }()
	wg.Wait()
	_ = client.Close()
	_ = server.Close()
}

// delay copies src to dst, each chunk written oneWay after it was read.
func (p *latencyProxy) delay(src, dst net.Conn) {
	type chunk struct {
		data []byte
		due  time.Time
	}
	queue := make(chan chunk, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		broken := false
		for c := range queue {
			if broken {
				continue // drain, so the reader never blocks
			}
			time.Sleep(time.Until(c.due))
			if _, err := dst.Write(c.data); err != nil {
				broken = true
			}
		}
		if tcp, ok := dst.(*net.TCPConn); ok {
			_ = tcp.CloseWrite() // pass on the EOF, late like the data
		}
	}()
	buf := make([]byte, 64*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			queue <- chunk{append([]byte(nil), buf[:n]...), time.Now().Add(p.oneWay)}
		}
		if err != nil {
			if err != io.EOF {
				_ = src.Close()
			}
			close(queue)
			<-done
			return
		}
	}
}
