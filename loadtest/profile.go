package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
)

// profiles are the server's profiles of the send phase: the driver signals
// the server (SIGUSR2) just before the first message and stops it after the
// last receipt, so that connecting thousands of clients is not in them.
// Empty names are not taken.
type profiles struct {
	CPU, Trace, Block, Mutex string

	files []*os.File
}

// args are the child's flags for these profiles, as absolute paths.
func (p *profiles) args() ([]string, error) {
	var out []string
	for _, f := range []struct{ flag, name string }{{"-cpuprofile", p.CPU}, {"-trace", p.Trace},
		{"-blockprofile", p.Block}, {"-mutexprofile", p.Mutex}} {
		if f.name == "" {
			continue
		}
		abs, err := filepath.Abs(f.name)
		if err != nil {
			return nil, err
		}
		out = append(out, f.flag, abs)
	}
	return out, nil
}

// start begins the CPU profile and the trace and turns on block and mutex
// sampling.
func (p *profiles) start() error {
	if p.CPU != "" {
		f, err := os.Create(p.CPU)
		if err != nil {
			return err
		}
		p.files = append(p.files, f)
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
	}
	if p.Trace != "" {
		f, err := os.Create(p.Trace)
		if err != nil {
			return err
		}
		p.files = append(p.files, f)
		if err := trace.Start(f); err != nil {
			return fmt.Errorf("trace: %w", err)
		}
	}
	if p.Block != "" {
		runtime.SetBlockProfileRate(10_000) // one sample per 10 µs blocked
	}
	if p.Mutex != "" {
		runtime.SetMutexProfileFraction(10)
	}
	return nil
}

// stop ends what start began and writes the block and mutex profiles.
func (p *profiles) stop() error {
	var errs []error
	if p.CPU != "" {
		pprof.StopCPUProfile()
	}
	if p.Trace != "" {
		trace.Stop()
	}
	for _, w := range []struct{ name, profile string }{{p.Block, "block"}, {p.Mutex, "mutex"}} {
		if w.name == "" {
			continue
		}
		f, err := os.Create(w.name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		p.files = append(p.files, f)
		errs = append(errs, pprof.Lookup(w.profile).WriteTo(f, 0))
	}
	for _, f := range p.files {
		errs = append(errs, f.Close())
	}
	p.files = nil
	return errors.Join(errs...)
}
