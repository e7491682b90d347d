package composerslots

import (
	"context"
	"errors"
	"testing"
)

// queue starts a waiter for target and returns once it waits in line; its release
// arrives on got when it has the slot.
func queue(t *testing.T, s *Slots, ctx context.Context, target string, got chan<- func(), errs chan<- error) {
	t.Helper()
	queued := make(chan struct{})
	go func() {
		release, err := s.Acquire(ctx, target, func(int) { close(queued) })
		if err != nil {
			errs <- err
			return
		}
		got <- release
	}()
	<-queued
}

func TestComposerSlotsFirstComeFirstServed(t *testing.T) {
	s := New(2)
	var held []func()
	for range 2 {
		release, err := s.Acquire(t.Context(), "shop1:22", func(int) { t.Error("waited with a slot free") })
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
	if running, waiting := s.State("shop1:22"); running != 2 || waiting != waiters {
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
		if running, _ := s.State("shop1:22"); running != 2 {
			t.Fatalf("%d running after waiter %d took its turn, want 2", running, i)
		}
		release()
	}
	held[1]()
	if running, waiting := s.State("shop1:22"); running != 0 || waiting != 0 {
		t.Fatalf("running %d, waiting %d after every release; want none", running, waiting)
	}
	select {
	case err := <-errs:
		t.Fatal(err)
	default:
	}
}

// takeShop1Slot acquires a slot of shop1:22, the target these tests fill, and returns
// its release.
func takeShop1Slot(t *testing.T, s *Slots) func() {
	t.Helper()
	release, err := s.Acquire(t.Context(), "shop1:22", nil)
	if err != nil {
		t.Fatal(err)
	}
	return release
}

func TestComposerSlotsTargetsAreIndependent(t *testing.T) {
	s := New(1)
	release := takeShop1Slot(t, s)
	defer release()
	// shop1 is full; shop2 and shop1 on another port start at once.
	for _, target := range []string{"shop2:22", "shop1:2222"} {
		r, err := s.Acquire(t.Context(), target, func(running int) { t.Errorf("%s waited behind %d runs of another target", target, running) })
		if err != nil {
			t.Fatal(err)
		}
		defer r()
	}
}

func TestComposerSlotsCancelEndsTheWait(t *testing.T) {
	s := New(1)
	release := takeShop1Slot(t, s)
	ctx, cancel := context.WithCancel(t.Context())
	got, errs := make(chan func(), 2), make(chan error, 2)
	var sawRunning int
	queued := make(chan struct{})
	go func() {
		r, err := s.Acquire(ctx, "shop1:22", func(running int) { sawRunning = running; close(queued) })
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
	if running, waiting := s.State("shop1:22"); running != 1 || waiting != 1 {
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
	if running, waiting := s.State("shop1:22"); running != 0 || waiting != 0 {
		t.Fatalf("running %d, waiting %d at the end; want none", running, waiting)
	}
}

// A wait cancelled in the moment its slot is handed over passes the slot on.
func TestComposerSlotsCancelAfterHandOver(t *testing.T) {
	s := New(1)
	for range 200 {
		release := takeShop1Slot(t, s)
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan func())
		queued := make(chan struct{})
		go func() {
			r, _ := s.Acquire(ctx, "shop1:22", func(int) { close(queued) })
			done <- r
		}()
		<-queued
		go cancel()
		release()
		if r := <-done; r != nil {
			r()
		}
		cancel()
		if running, waiting := s.State("shop1:22"); running != 0 || waiting != 0 {
			t.Fatalf("running %d, waiting %d after a cancel that raced the hand-over; want none", running, waiting)
		}
	}
}

func TestComposerSlotsCancelledBeforeWaiting(t *testing.T) {
	s := New(1)
	release := takeShop1Slot(t, s)
	defer release()
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := s.Acquire(ctx, "shop1:22", nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}
