package provider

import (
	"context"
	"errors"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"

	"github.com/magento-ops/terraform-provider-magento/internal/composerslots"
	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/shell"
)

// countingConnector records every connection and command; none of them reaches a host.
type countingConnector struct {
	mu       sync.Mutex
	connects int
	commands []string
}

func (c *countingConnector) Connect(context.Context, remote.Config) (magento.Runner, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.connects++
	return c, nil
}

func (c *countingConnector) Run(_ context.Context, label, _ string, _ []byte) (shell.Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.commands = append(c.commands, label)
	return shell.Result{}, nil
}

// A destroy takes no turn in this process, even with every turn of its machine taken
// (a listing holds it): the host's slot, which the removal script takes around Composer
// only, is the limit, so its checks and backup run beside other roots' Composers.
func TestDeleteTakesTheHostsSlotNotAProcessTurn(t *testing.T) {
	hosts := &countingConnector{}
	data := &providerData{base: defaultSSHConfig(), connector: hosts, reads: magento.NewReadBatcher(), sources: magento.NewSourceBatcher(), composerRuns: composerslots.New(1)}
	r := &dataMigrationToolResource{data: data}
	var sch resource.SchemaResponse
	r.Schema(t.Context(), resource.SchemaRequest{}, &sch)
	state := tfsdk.State{Schema: sch.Schema, Raw: fleetState(t.Context(), t, sch, "/var/www/shop1")} // port 2222

	machine := remote.Config{Host: "127.0.0.1", Port: 2222}.Machine()
	busy, err := data.composerRuns.Acquire(t.Context(), machine, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer busy()
	done := make(chan struct{})
	go func() {
		resp := resource.DeleteResponse{State: state}
		r.Delete(t.Context(), resource.DeleteRequest{State: state}, &resp)
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("the destroy waited for a turn in this process")
	}
	hosts.mu.Lock()
	defer hosts.mu.Unlock()
	if len(hosts.commands) != 1 || !strings.HasPrefix(hosts.commands[0], "composer remove") {
		t.Fatalf("want the removal script run on the host (it takes the host's slot), got commands %q", hosts.commands)
	}
}

// Two Host aliases of a config file for one machine (HostName and port alike) share
// that machine's slots: the limit is the web node's, not the name's.
func TestComposerSlotsKeyOnTheMachine(t *testing.T) {
	d := &providerData{composerRuns: composerslots.New(1)}
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
		if _, waiting := d.composerRuns.State(first.Machine()); waiting == 1 {
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
	d := &providerData{composerRuns: composerslots.New(1)}
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

// The timeout runs from the start of the apply script, so a hang before the host's
// slot (the locks on an NFS var/, sudo) times out; while every slot of the host is held
// it waits, and once the slot is the operation's it runs on with what was left.
func TestComposerTurnTimesOutExceptWhileTheHostsSlotsAreHeld(t *testing.T) {
	d := &providerData{}
	never := d.composerTurn(context.Background(), remote.Config{Host: "web1"}, "composer require", 100*time.Millisecond, time.Now())
	ctx, done, err := never.wait()
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	select {
	case <-ctx.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("timeout 100ms, no word of a slot from the host: the run still goes on after 5s")
	}

	waits := d.composerTurn(context.Background(), remote.Config{Host: "web1"}, "composer require", time.Second, time.Now())
	ctx, done, err = waits.wait()
	if err != nil {
		t.Fatal(err)
	}
	defer done()
	waits.news(magento.SlotNews{Holders: []string{"PID 4242 on web1 since 2026-12-07T06:00:00Z"}})
	select {
	case <-ctx.Done():
		t.Fatal("the timeout ran while every slot of the host was held")
	case <-time.After(2 * time.Second):
	}
	waits.news(magento.SlotNews{Held: true})
	select {
	case <-ctx.Done():
		if !errors.Is(context.Cause(ctx), context.DeadlineExceeded) {
			t.Fatalf("ended by %v, want the timeout", context.Cause(ctx))
		}
	case <-time.After(5 * time.Second):
		t.Fatal("the timeout did not run on once the slot was held")
	}
}
