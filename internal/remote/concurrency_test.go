package remote

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/magento-ops/terraform-provider-magento/internal/testenv"
)

// Every setting that changes a connection changes the pool key: two resources that
// differ in any of them never share a connection.
func TestPoolKeyCoversEveryConnectionSetting(t *testing.T) {
	base := Config{Host: "shop1", Port: 22, User: "deploy", Bastions: []Bastion{{Host: "jump"}}}
	v := reflect.ValueOf(&base).Elem()
	for i := range v.NumField() {
		changed := base
		changed.Bastions = append([]Bastion(nil), base.Bastions...)
		f := reflect.ValueOf(&changed).Elem().Field(i)
		if v.Type().Field(i).Name == "sources" {
			continue // where ConfigFile set things, for messages: follows from ConfigFile
		}
		switch f.Kind() {
		case reflect.String:
			f.SetString(f.String() + "x")
		case reflect.Int, reflect.Int64:
			f.SetInt(f.Int() + 7)
		case reflect.Bool:
			f.SetBool(!f.Bool())
		case reflect.Struct: // a Setting from the config file
			f.FieldByName("Value").SetString("x")
		case reflect.Slice:
			changed.Bastions[0].Port = 2222
			if v.Type().Field(i).Name == "IdentityFiles" {
				changed.Bastions = base.Bastions
				changed.IdentityFiles = []Setting{{Value: "/key"}}
			}
		default:
			t.Fatalf("field %s of kind %s: teach this test to change it", v.Type().Field(i).Name, f.Kind())
		}
		if changed.poolKey() == base.poolKey() {
			t.Errorf("changing %s does not change the pool key", v.Type().Field(i).Name)
		}
	}
}

// A caller that gives up while the connection is being dialled (Ctrl-C, its own
// timeout) does not fail the callers waiting for the same host: they dial again.
func TestCancelledDialDoesNotFailOtherCallers(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{NoStart: true}) // refuses until started: dials retry
	pool := NewPool()
	defer pool.Close()
	impatient, cancel := context.WithCancel(context.Background())
	dialling := make(chan error, 1)
	go func() {
		_, err := pool.Get(impatient, baseConfig(s))
		dialling <- err
	}()
	// The patient caller arrives while the first dial retries, and waits for it.
	time.Sleep(300 * time.Millisecond)
	patient := make(chan error, 1)
	go func() {
		h, err := pool.Get(context.Background(), baseConfig(s))
		if err == nil {
			_, err = h.Run(context.Background(), "echo", "echo ok", nil)
		}
		patient <- err
	}()
	time.Sleep(300 * time.Millisecond)
	cancel()
	if err := <-dialling; err == nil {
		t.Fatal("the cancelled caller connected")
	}
	s.Start(t)
	select {
	case err := <-patient:
		if err != nil {
			t.Fatalf("the waiting caller failed with the other's cancellation: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the waiting caller never connected")
	}
}

// Concurrent reads on one host, some of them cancelled mid-command (which breaks the
// shared shell), under -race: every read that was not cancelled gets its own answer.
func TestConcurrentReadsGetTheirOwnAnswersDespiteCancellations(t *testing.T) {
	s := testenv.StartSSHD(t, testenv.SSHDOptions{})
	pool := NewPool()
	defer pool.Close()
	h, err := pool.Get(context.Background(), baseConfig(s))
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%5 == 0 { // cancelled while it runs
				ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
				defer cancel()
				if _, err := h.RunShared(ctx, "slow", "sleep 5; echo late"); err == nil {
					errs <- fmt.Errorf("read %d outlived its cancellation", i)
				}
				return
			}
			want := fmt.Sprintf("read-%d", i)
			res, err := h.RunShared(context.Background(), "echo", "echo "+want)
			if err != nil || strings.TrimSpace(string(res.Stdout)) != want {
				errs <- fmt.Errorf("read %d: got %q, %v", i, res.Stdout, err)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}
