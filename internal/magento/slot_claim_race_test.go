package magento

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// A claim that lands inside a slot directory another apply holds and is freeing at
// that moment (mv moves into a directory that exists) is no claim, even when the
// holder's removal takes the moved entry with it: the apply holds a slot only once the
// slot's owner file is its own. A shim mv plays the other apply, once: as the claim's
// move starts, slot 1 appears (claimed by a live apply), the move lands inside it, and
// the holder frees it. Before the fix, the apply took the missing slot for its own and
// ran Composer in no slot at all, so a third apply could take slot 1 beside it: more
// Composers than per_host_parallelism, as a fleet apply on the bench saw.
func TestASlotClaimThatLandsInAFreedSlotIsNoClaim(t *testing.T) {
	_, e, p, slots := slotRoot(t, 1)
	holder := liveProcess(t)
	other := filepath.Join(t.TempDir(), "other")
	if err := os.Mkdir(other, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, "owner"), []byte(holderHere(t, holder)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	slot := filepath.Join(slots, "1")
	shims, seen := t.TempDir(), filepath.Join(t.TempDir(), "seen")
	realMV, err := exec.LookPath("mv")
	if err != nil {
		t.Fatal(err)
	}
	shim := fmt.Sprintf(`#!/bin/sh
if [ "$#" = 2 ] && [ "$2" = %[1]q ] && [ ! -e %[1]q ] && [ -d %[2]q ]; then
  %[3]q %[2]q %[1]q || exit 1
  %[3]q "$@" || exit $?
  %[3]q %[1]q %[1]q.raced && rm -rf %[1]q.raced
  exit 0
fi
exec %[3]q "$@"
`, slot, other, realMV)
	if err := os.WriteFile(filepath.Join(shims, "mv"), []byte(shim), 0o755); err != nil { //nolint:gosec // an executable test shim
		t.Fatal(err)
	}
	t.Setenv("PATH", shims+string(os.PathListSeparator)+os.Getenv("PATH"))
	e.Composer = fakeComposer(t, fmt.Sprintf(`if [ "$1" = require ]; then
  if [ -f %[1]q/owner ]; then head -n 1 %[1]q/owner > %[2]q; else echo none > %[2]q; fi
fi
exec composer "$@"`, slot, seen))
	res, err := Change(context.Background(), &LocalRunner{}, e, p)
	if err != nil || res.Installed != "2.4.7" {
		t.Fatalf("want the upgrade: %+v %v", res, err)
	}
	owner, err := os.ReadFile(seen)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(owner))
	if len(f) < 7 || f[0] == fmt.Sprint(holder) { // "none": no slot 1 at all
		t.Fatalf("Composer ran while slot 1 was not the apply's: its owner file read %q", owner)
	}
	if _, err := os.Stat(slot); !os.IsNotExist(err) {
		t.Errorf("slot 1 is still there after the apply: %v", err)
	}
}

// A slot directory without an owner file is one being made or removed, held for a
// round. One that stays so (an older release's drop could leave it: a claim moved into
// the slot as its holder removed it) is removed once it is a minute old; before, every
// apply of the host waited for it forever.
func TestAnOwnerlessSlotLeftBehindIsFreedAfterAMinute(t *testing.T) {
	_, e, p, slots := slotRoot(t, 1)
	agedSlot(t, slots, "1", false)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if res, err := Change(ctx, &LocalRunner{}, e, p); err != nil || res.Installed != "2.4.7" {
		t.Fatalf("want the upgrade in the freed slot: %+v %v", res, err)
	}
}

// A slot directory that names no holder (an empty owner file: an apply that ran out of
// disk, or an older release) for over a minute is not waited for forever: the apply
// refuses, naming the directory to remove, and changes nothing.
func TestAnOwnerlessSlotThatCannotBeRemovedIsNamed(t *testing.T) {
	_, e, p, slots := slotRoot(t, 1)
	stuck := agedSlot(t, slots, "1", true)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := Change(ctx, &LocalRunner{}, e, p)
	var ce *ChangeError
	if !errors.As(err, &ce) || ce.Step != "slot-ownerless" || !ce.Unchanged || !strings.Contains(err.Error(), "remove it with: rm -rf") || !strings.Contains(err.Error(), stuck) {
		t.Fatalf("want a refusal naming %s: %v", stuck, err)
	}
}

// An apply frees its slot only while the slot is still its own: one taken over meanwhile
// (its holder judged gone, and claimed afresh) is the new holder's, and stays.
func TestAnApplyFreesOnlyItsOwnSlot(t *testing.T) {
	_, e, p, slots := slotRoot(t, 1)
	other := holderHere(t, liveProcess(t))
	e.Composer = fakeComposer(t, fmt.Sprintf(`[ "$1" = require ] && printf '%%s\n' %q > %q
exec composer "$@"`, other, filepath.Join(slots, "1", "owner")))
	if res, err := Change(context.Background(), &LocalRunner{}, e, p); err != nil || res.Installed != "2.4.7" {
		t.Fatalf("want the upgrade: %+v %v", res, err)
	}
	if b, err := os.ReadFile(filepath.Join(slots, "1", "owner")); err != nil || strings.TrimSpace(string(b)) != other {
		t.Errorf("the other apply's slot was removed or changed: %q %v", b, err)
	}
}

// agedSlot makes slot name of slots a directory that names no holder, two minutes old:
// empty, or with an empty owner file (emptyOwner).
func agedSlot(t *testing.T, slots, name string, emptyOwner bool) string {
	t.Helper()
	stuck := filepath.Join(slots, name)
	if err := os.Mkdir(stuck, 0o700); err != nil {
		t.Fatal(err)
	}
	if emptyOwner {
		if err := os.WriteFile(filepath.Join(stuck, "owner"), nil, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Minute)
	if err := os.Chtimes(stuck, old, old); err != nil {
		t.Fatal(err)
	}
	return stuck
}
