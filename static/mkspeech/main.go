// Command mkspeech renders the sentences a page says about its own line
// (lost-*.wav, restored-*.wav) with espeak-ng, as small 8 kHz mono WAV files
// the page embeds: a wall display must be able to say them with SyncMon
// dead and no voice in the browser. Run from static/ (go generate):
//
//	go run ./mkspeech
//
// The texts here must match the labels "line_lost" and "line_restored" in
// handlers/i18n.go; the Korean recordings spell SyncMon in Hangul, which is
// how it is read aloud.
package main

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"os"
	"os/exec"
)

const rate = 8000 // Hz: telephone quality, a few tens of kB a sentence

var recordings = []struct{ file, voice, text string }{
	{"lost-en.wav", "en-us", "Sync Mon connection lost."},
	{"lost-ko.wav", "ko", "싱크몬 연결이 끊겼습니다."},
	{"restored-en.wav", "en-us", "Sync Mon connection restored."},
	{"restored-ko.wav", "ko", "싱크몬 연결이 복구되었습니다."},
}

func main() {
	for _, r := range recordings {
		if err := render(r.file, r.voice, r.text); err != nil {
			fmt.Fprintln(os.Stderr, "mkspeech:", err)
			os.Exit(1)
		}
	}
}

func render(file, voice, text string) error {
	out, err := exec.Command("espeak-ng", "-v", voice, "-s", "150", "--stdout", text).Output()
	if err != nil {
		return fmt.Errorf("espeak-ng %s: %w", file, err)
	}
	in, from, err := pcm16(out)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	return os.WriteFile(file, wav(resample(in, from, rate), rate), 0o644)
}

// pcm16 reads a mono 16-bit PCM WAV: its samples and sample rate.
func pcm16(b []byte) ([]int16, int, error) {
	if len(b) < 12 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WAVE" {
		return nil, 0, errors.New("not a WAV file")
	}
	var srate int
	for p := 12; p+8 <= len(b); {
		id, size := string(b[p:p+4]), int(binary.LittleEndian.Uint32(b[p+4:]))
		body := b[p+8:]
		switch id {
		case "fmt ":
			if binary.LittleEndian.Uint16(body[0:]) != 1 || binary.LittleEndian.Uint16(body[2:]) != 1 || binary.LittleEndian.Uint16(body[14:]) != 16 {
				return nil, 0, errors.New("want mono 16-bit PCM")
			}
			srate = int(binary.LittleEndian.Uint32(body[4:]))
		case "data":
			if size > len(body) || size <= 0 { // --stdout cannot seek back to write the size
				size = len(body)
			}
			s := make([]int16, size/2)
			for i := range s {
				s[i] = int16(binary.LittleEndian.Uint16(body[2*i:]))
			}
			return s, srate, nil
		}
		p += 8 + size + size%2
	}
	return nil, 0, errors.New("no data chunk")
}

// resample converts by windowed-sinc interpolation, low-passed below the
// new Nyquist frequency so that nothing folds back.
func resample(in []int16, from, to int) []int16 {
	ratio := float64(to) / float64(from)
	cutoff := math.Min(1, ratio) * 0.95
	const half = 16 // taps each side, in input samples
	n := int(float64(len(in)) * ratio)
	out := make([]int16, n)
	for i := range out {
		center := float64(i) / ratio
		var sum float64
		for k := int(center) - half; k <= int(center)+half; k++ {
			if k < 0 || k >= len(in) {
				continue
			}
			x := float64(k) - center
			w := 0.5 + 0.5*math.Cos(math.Pi*x/float64(half+1)) // Hann
			sum += float64(in[k]) * cutoff * sinc(cutoff*x) * w
		}
		out[i] = int16(math.Max(-32768, math.Min(32767, math.Round(sum))))
	}
	return out
}

func sinc(x float64) float64 {
	if x == 0 {
		return 1
	}
	return math.Sin(math.Pi*x) / (math.Pi * x)
}

// wav is a mono 16-bit PCM WAV file of s at rate.
func wav(s []int16, rate int) []byte {
	var b bytes.Buffer
	data := 2 * len(s)
	b.WriteString("RIFF")
	_ = binary.Write(&b, binary.LittleEndian, uint32(36+data))
	b.WriteString("WAVEfmt ")
	for _, v := range []any{uint32(16), uint16(1), uint16(1), uint32(rate), uint32(2 * rate), uint16(2), uint16(16)} {
		_ = binary.Write(&b, binary.LittleEndian, v) // a bytes.Buffer does not fail
	}
	b.WriteString("data")
	_ = binary.Write(&b, binary.LittleEndian, uint32(data))
	_ = binary.Write(&b, binary.LittleEndian, s)
	return b.Bytes()
}
