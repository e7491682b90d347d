package main

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"testing"
)

func TestQuietLogsTerraformDrops(t *testing.T) {
	off := map[string]string{"TF_LOG_SDK": "off", "TF_LOG_SDK_PROTO": "off", "TF_LOG_SDK_FRAMEWORK": "off", "TF_LOG_PROVIDER_MAGENTO": "off"}
	for _, tc := range []struct {
		name      string
		env, want map[string]string
	}{
		{"no logging asked for", map[string]string{}, off},
		{"empty TF_LOG shows nothing either", map[string]string{"TF_LOG": ""}, mergeEnv(off, map[string]string{"TF_LOG": ""})},
		{"TF_LOG shows provider logs", map[string]string{"TF_LOG": "DEBUG"}, map[string]string{"TF_LOG": "DEBUG"}},
		{"TF_LOG_PROVIDER shows them", map[string]string{"TF_LOG_PROVIDER": "trace"}, map[string]string{"TF_LOG_PROVIDER": "trace"}},
		{"a level the user set is kept", map[string]string{"TF_LOG_SDK_PROTO": "debug"}, mergeEnv(off, map[string]string{"TF_LOG_SDK_PROTO": "debug"})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := maps.Clone(tc.env)
			quietLogsTerraformDrops(func(k string) (string, bool) { v, ok := env[k]; return v, ok },
				func(k, v string) error { env[k] = v; return nil })
			if !maps.Equal(env, tc.want) {
				t.Fatalf("got %v, want %v", env, tc.want)
			}
		})
	}
}

func mergeEnv(a, b map[string]string) map[string]string {
	m := maps.Clone(a)
	maps.Copy(m, b)
	return m
}

// Only a process asked for statistics counts; it writes them at exit.
func TestStatsOnlyWhenAskedFor(t *testing.T) {
	if newPool("").Stats != nil {
		t.Fatal("the default pool counts")
	}
	file := filepath.Join(t.TempDir(), "stats.json")
	pool := newPool(file)
	if pool.Stats == nil {
		t.Fatal("a pool for a stats file does not count")
	}
	pool.Stats.Sessions.Add(3)
	writeStats(pool, file)
	var got struct{ Sessions int }
	if b, err := os.ReadFile(file); err != nil || json.Unmarshal(b, &got) != nil || got.Sessions != 3 {
		t.Fatalf("stats file: %s, %v", b, err)
	}
}

func TestTuneGCKeepsWhatTheUserSet(t *testing.T) {
	for _, tc := range []struct {
		name                 string
		env                  map[string]string
		wantPercent, wantLim bool
	}{
		{"nothing set", map[string]string{}, true, true},
		{"GOGC set", map[string]string{"GOGC": "100"}, false, true},
		{"GOMEMLIMIT set", map[string]string{"GOMEMLIMIT": "1GiB"}, true, false},
		{"both set", map[string]string{"GOGC": "off", "GOMEMLIMIT": "1GiB"}, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var percent int
			var limit int64
			tuneGC(func(k string) (string, bool) { v, ok := tc.env[k]; return v, ok },
				func(p int) int { percent = p; return 100 }, func(l int64) int64 { limit = l; return 0 })
			if (percent == gcPercent) != tc.wantPercent || (limit == memoryLimit) != tc.wantLim {
				t.Fatalf("GC percent %d, memory limit %d", percent, limit)
			}
		})
	}
}
