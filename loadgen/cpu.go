package main

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
)

// clockTicks is Linux's USER_HZ, the unit of /proc/PID/stat's times: 100 on every architecture
// Go runs on (sysconf(_SC_CLK_TCK) without cgo).
const clockTicks = 100

// cpuS is the CPU seconds (user + system) a process has used so far, from /proc, as feed/bench/cpu.py reads it.
func cpuS(pid int) (float64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// after the last ")": the command name in (...) may itself hold spaces and parentheses
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 13 {
		return 0, fmt.Errorf("/proc/%d/stat: too few fields", pid)
	}
	utime, err1 := strconv.ParseInt(fields[11], 10, 64)
	stime, err2 := strconv.ParseInt(fields[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("/proc/%d/stat: bad times", pid)
	}
	return float64(utime+stime) / clockTicks, nil
}

func totalCPU(pids []int) (float64, error) {
	total := 0.0
	for _, pid := range pids {
		s, err := cpuS(pid)
		if err != nil {
			return 0, err
		}
		total += s
	}
	return total, nil
}

// selfCPU is this process's CPU seconds, from getrusage: the same user + system time /proc
// shows, to the microsecond instead of the clock tick.
func selfCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}
