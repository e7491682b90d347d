package provider

import (
	"bytes"
	"context"
	"math/big"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"

	"github.com/hashicorp/terraform-plugin-framework/resource"
	"github.com/hashicorp/terraform-plugin-framework/tfsdk"
	"github.com/hashicorp/terraform-plugin-go/tftypes"

	"github.com/magento-ops/terraform-provider-magento/internal/magento"
	"github.com/magento-ops/terraform-provider-magento/internal/remote"
	"github.com/magento-ops/terraform-provider-magento/internal/rootmemory"
	"github.com/magento-ops/terraform-provider-magento/internal/shell"
	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// replayRunner runs each distinct command once with the local sh and replays its output
// after that: a benchmark of it measures the provider's side of a read. The host's side
// is magento's BenchmarkReadScript500.
type replayRunner struct {
	mu   sync.Mutex
	seen map[string]shell.Result
}

func (r *replayRunner) Run(ctx context.Context, _, cmd string, _ []byte) (shell.Result, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if res, ok := r.seen[cmd]; ok {
		return res, nil
	}
	var out bytes.Buffer
	c := exec.CommandContext(ctx, "sh", "-c", cmd)
	c.Stdout = &out
	if err := c.Run(); err != nil {
		return shell.Result{}, err
	}
	res := shell.Result{Stdout: out.Bytes()}
	if r.seen == nil {
		r.seen = map[string]shell.Result{}
	}
	r.seen[cmd] = res
	return res, nil
}

type replayConnector struct{ runner *replayRunner }

func (c replayConnector) Connect(context.Context, remote.Config) (magento.Runner, error) {
	return c.runner, nil
}

// BenchmarkRead is what one refresh of an installation in sync costs the provider, from
// the state Terraform sends to the state and identity it gets back: the resource's ssh
// block sets the port and known_hosts file, the read answers with what the state holds.
// Each read here is a batch of its own (a replayed command, parsed); in a fleet's plan
// most reads find their answer read ahead, so this overstates them by that much. The
// framework's own work around Read (semantic equality, write-only attributes, msgpack)
// is not in it.
func BenchmarkRead(b *testing.B) {
	b.Setenv("XDG_CACHE_HOME", b.TempDir()) // the roots memory
	root := testenv.SharedRepo(b).NewRoot(b, filepath.Join(b.TempDir(), "shop"), testenv.RootSpec{Magento: "2.4.7-p3", DMT: "2.4.7"})
	ctx := context.Background()
	data := &providerData{base: defaultSSHConfig(), connector: replayConnector{&replayRunner{}}, reads: magento.NewReadBatcher(), sources: magento.NewSourceBatcher(), roots: rootmemory.New()}
	data.reads.MaxRoots = 1 // each read goes at once: no batching window in the timing
	r := &dataMigrationToolResource{data: data}
	var sch resource.SchemaResponse
	r.Schema(ctx, resource.SchemaRequest{}, &sch)
	var idSch resource.IdentitySchemaResponse
	r.IdentitySchema(ctx, resource.IdentitySchemaRequest{}, &idSch)

	state := tfsdk.State{Schema: sch.Schema, Raw: fleetState(ctx, b, sch, root)}
	identity := tfsdk.ResourceIdentity{Schema: idSch.IdentitySchema, Raw: tftypes.NewValue(idSch.IdentitySchema.Type().TerraformType(ctx), nil)}
	read := func() resource.ReadResponse {
		resp := resource.ReadResponse{State: tfsdk.State{Schema: state.Schema, Raw: state.Raw.Copy()},
			Identity: &tfsdk.ResourceIdentity{Schema: identity.Schema, Raw: identity.Raw.Copy()}}
		r.Read(ctx, resource.ReadRequest{State: tfsdk.State{Schema: state.Schema, Raw: state.Raw.Copy()}, Identity: resp.Identity}, &resp)
		if resp.Diagnostics.HasError() {
			b.Fatal(resp.Diagnostics)
		}
		return resp
	}
	// As in a plan after the first: the state and identity are what the last read left.
	first := read()
	state.Raw, identity.Raw = first.State.Raw, first.Identity.Raw
	if !state.Raw.Equal(read().State.Raw) {
		b.Fatal("a read of an unchanged root changed the state")
	}
	b.ReportAllocs()
	for b.Loop() {
		read()
	}
}

// fleetState is a fleet's resource as the state holds it after an apply: its ssh block
// sets the port and known_hosts file of its host, everything else is the defaults.
func fleetState(ctx context.Context, b testing.TB, sch resource.SchemaResponse, root string) tftypes.Value {
	typ, ok := sch.Schema.Type().TerraformType(ctx).(tftypes.Object)
	sshType, isObject := typ.AttributeTypes[attrSSH].(tftypes.Object)
	if !ok || !isObject {
		b.Fatal("the schema is not an object with an ssh object")
	}
	str := func(s string) tftypes.Value { return tftypes.NewValue(tftypes.String, s) }
	yes := tftypes.NewValue(tftypes.Bool, true)
	ssh := objectOf(sshType, map[string]tftypes.Value{
		"port":             tftypes.NewValue(tftypes.Number, big.NewFloat(2222)),
		"known_hosts_file": str("/etc/ssh/fleet_known_hosts"),
		"bastion":          tftypes.NewValue(sshType.AttributeTypes["bastion"], []tftypes.Value{}),
	})
	return objectOf(typ, map[string]tftypes.Value{
		attrHost: str("127.0.0.1"), attrMagentoRoot: str(root), attrSSH: ssh, attrVersion: str("2.4.7"),
		attrPHP: str("php"), attrComposer: str("composer"), attrOnMissingRelease: str(missingReleaseWarn),
		attrCarryCustomFiles: yes, attrRemoveOnDestroy: yes,
		attrID: str("ssh://root@127.0.0.1:2222" + root), attrMagentoVersion: str("2.4.7-p3"), attrMagentoEdition: str("community"),
	})
}

// objectOf is an object of t holding vals, and null for the attributes vals lacks.
func objectOf(t tftypes.Object, vals map[string]tftypes.Value) tftypes.Value {
	attrs := map[string]tftypes.Value{}
	for name, at := range t.AttributeTypes {
		attrs[name] = tftypes.NewValue(at, nil)
		if v, ok := vals[name]; ok {
			attrs[name] = v
		}
	}
	return tftypes.NewValue(t, attrs)
}
