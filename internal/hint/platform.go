package hint

import (
	"runtime"
	"strings"
)

// Advice names commands and file permissions the way the user's OS does:
// a Windows user is not told to `rm` a file or that it has mode 0600.

// DeleteFiles is the command that deletes files: rm on Unix, del on
// Windows (cmd.exe and PowerShell both know it).
func DeleteFiles(paths ...string) string { return deleteFiles(runtime.GOOS, paths) }

func deleteFiles(goos string, paths []string) string {
	if goos == "windows" {
		return "del " + strings.Join(quoteAll(paths), " ")
	}
	return "rm " + strings.Join(paths, " ")
}

// DeleteFolder is the command that deletes a folder and what it holds.
func DeleteFolder(dir string) string { return deleteFolder(runtime.GOOS, dir) }

func deleteFolder(goos, dir string) string {
	if goos == "windows" {
		return `rmdir /s /q "` + dir + `"`
	}
	return "rm -rf '" + dir + "'"
}

// PrivateFile says who can read a file envsafe wrote for the user alone:
// mode 0600 on Unix; on Windows the file keeps the access rights of its
// folder (only you, in your own profile).
func PrivateFile() string { return privateFile(runtime.GOOS) }

func privateFile(goos string) string {
	if goos == "windows" {
		return "with its folder's access rights: keep it in your own profile"
	}
	return "mode 0600"
}

// quoteAll puts paths with spaces in double quotes, for cmd.exe.
func quoteAll(paths []string) []string {
	out := make([]string, len(paths))
	for i, p := range paths {
		if strings.ContainsAny(p, " \t&()") {
			p = `"` + p + `"`
		}
		out[i] = p
	}
	return out
}
