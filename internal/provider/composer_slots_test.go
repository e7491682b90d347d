package provider

import (
	"context"
	"errors"
	"runtime"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/remote"
)

// queue starts a waiter for target and returns once it waits in line; its release
// arrives on got when it has the slot.
func queue(t *testing.T, s *composerSlots, ctx context.Context, target string, got chan<- func(), errs chan<- error) {
	t.Helper()
	queued := make(chan struct{})
	go func() {
		release, err := s.acquire(ctx, target, func(int) { close(queued) })
		if err != nil {
			errs <- err
			return
		}
		got <- release
	}()
	<-queued
}

func TestComposerSlotsFirstComeFirstServed(t *testing.T) {
	s := newComposerSlots(2)
	var held []func()
	for range 2 {
		release, err := s.acquire(t.Context(), "shop1:22", func(int) { t.Error("waited with a slot free") })
		if err != nil {
			t.Fatal(err)
		}
		held = append(held, release)
	}
	const waiters = 5
	got := make([]chan func(), waiters)
	errs := make(chan error, waiters)
	for i := range got {
		got[i] = make(chan func(), 1)
		queue(t, s, t.Context(), "shop1:22", got[i], errs)
	}
	if running, waiting := s.state("shop1:22"); running != 2 || waiting != waiters {
		t.Fatalf("running %d, waiting %d; want 2 and %d", running, waiting, waiters)
	}
	// Each release hands the slot to the longest waiter, and to no one else.
	held[0]()
	held[0]() // a second call frees nothing more
	for i := range got {
		release := <-got[i]
		for _, later := range got[i+1:] {
			select {
			case <-later:
				t.Fatalf("a later waiter got a slot before waiter %d", i)
			default:
			}
		}
		if running, _ := s.state("shop1:22"); running != 2 {
			t.Fatalf("%d running after waiter %d took its turn, want 2", running, i)
		}
		release()
	}
	held[1]()
	if running, waiting := s.state("shop1:22"); running != 0 || waiting != 0 {
		t.Fatalf("running %d, waiting %d after every release; want none", running, waiting)
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

func TestComposerSlotsTargetsAreIndependent(t *testing.T) {
	s := newComposerSlots(1)
	release, err := s.acquire(t.Context(), "shop1:22", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	// shop1 is full; shop2 and shop1 on another port start at once.
	for _, target := range []string{"shop2:22", "shop1:2222"} {
		r, err := s.acquire(t.Context(), target, func(running int) { t.Errorf("%s waited behind %d runs of another target", target, running) })
		if err != nil {
			t.Fatal(err)
		}
		defer r()
	}
}

func TestComposerSlotsCancelEndsTheWait(t *testing.T) {
	s := newComposerSlots(1)
	release, err := s.acquire(t.Context(), "shop1:22", nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	got, errs := make(chan func(), 2), make(chan error, 2)
	var sawRunning int
	queued := make(chan struct{})
	go func() {
		r, err := s.acquire(ctx, "shop1:22", func(running int) { sawRunning = running; close(queued) })
		if err != nil {
			errs <- err
			return
		}
		got <- r
	}()
	<-queued
	second := make(chan func(), 1)
	queue(t, s, t.Context(), "shop1:22", second, errs) // behind the one cancelled
	cancel()
	if err := <-errs; !errors.Is(err, context.Canceled) {
		t.Fatalf("the cancelled wait returned %v, want context.Canceled", err)
	}
	if sawRunning != 1 {
		t.Fatalf("onWait saw %d running, want 1", sawRunning)
	}
	if running, waiting := s.state("shop1:22"); running != 1 || waiting != 1 {
		t.Fatalf("running %d, waiting %d after the cancel; want 1 and 1", running, waiting)
	}
	// The slot goes past the cancelled waiter to the next one.
	release()
	(<-second)()
	select {
	case <-got:
		t.Fatal("the cancelled waiter got a slot")
	default:
	}
	if running, waiting := s.state("shop1:22"); running != 0 || waiting != 0 {
		t.Fatalf("running %d, waiting %d at the end; want none", running, waiting)
	}
}

// A wait cancelled in the moment its slot is handed over passes the slot on.
func TestComposerSlotsCancelAfterHandOver(t *testing.T) {
	s := newComposerSlots(1)
	for range 200 {
		release, err := s.acquire(t.Context(), "shop1:22", nil)
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan func())
		queued := make(chan struct{})
		go func() {
			r, _ := s.acquire(ctx, "shop1:22", func(int) { close(queued) })
			done <- r
		}()
		<-queued
		go cancel()
		release()
		if r := <-done; r != nil {
			r()
		}
		cancel()
		if running, waiting := s.state("shop1:22"); running != 0 || waiting != 0 {
			t.Fatalf("running %d, waiting %d after a cancel that raced the hand-over; want none", running, waiting)
		}
	}
}

func TestComposerSlotsCancelledBeforeWaiting(t *testing.T) {
	s := newComposerSlots(1)
	release, err := s.acquire(t.Context(), "shop1:22", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.acquire(ctx, "shop1:22", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

// Two Host aliases of a config file for one machine (HostName and port alike) share
// that machine's slots: the limit is the web node's, not the name's.
func TestComposerSlotsKeyOnTheMachine(t *testing.T) {
	d := &providerData{composerRuns: newComposerSlots(1)}
	first := remote.Config{Host: "shop-a", HostName: "10.0.0.7", Port: 22}
	second := remote.Config{Host: "shop-b", HostName: "10.0.0.7", Port: 22}
	release, err := d.composerSlot(context.Background(), first, "composer require")
	if err != nil {
		t.Fatal(err)
	}
	defer release()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan error, 1)
	go func() {
		r, err := d.composerSlot(ctx, second, "composer require")
		if err == nil {
			r()
		}
		got <- err
	}()
	for {
		select {
		case err := <-got:
			t.Fatalf("a second alias of the same machine did not wait for the first's slot: %v", err)
		default:
		}
		if _, waiting := d.composerRuns.state(first.Machine()); waiting == 1 {
			break
		}
		runtime.Gosched()
	}
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Fatalf("want the wait cancelled, got %v", err)
	}
}

// One private address behind two bastions, or two ProxyCommands, is two machines (two
// VPCs): neither waits for the other's slots.
func TestComposerSlotsKeyOnTheRoute(t *testing.T) {
	d := &providerData{composerRuns: newComposerSlots(1)}
	var configs []remote.Config
	for _, bastion := range []string{"bastion-eu.example.com", "bastion-us.example.com"} {
		configs = append(configs, remote.Config{Host: "10.0.0.7", Port: 22, Bastions: []remote.Bastion{{Host: bastion, Port: 22}}})
	}
	for _, region := range []string{"eu-west-1", "us-east-1"} {
		proxy := "aws ssm start-session --target i-0abc --document-name AWS-StartSSHSession --region " + region
		configs = append(configs, remote.Config{Host: "10.0.0.8", Port: 22, ProxyCommand: remote.Setting{Value: proxy}})
	}
	for _, c := range configs {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		release, err := d.composerSlot(ctx, c, "composer require")
		cancel()
		if err != nil {
			t.Fatalf("%s waited for another route's slot: %v", c.Machine(), err)
		}
		defer release()
	}
}
