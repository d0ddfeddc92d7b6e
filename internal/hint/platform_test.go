package hint

import "testing"

func TestAdviceSpeaksTheOSsLanguage(t *testing.T) {
	for _, c := range []struct{ got, want string }{
		{deleteFiles("linux", []string{".env", "a b"}), "rm .env a b"},
		{deleteFiles("windows", []string{".env", `C:\My Project\.env`}), `del .env "C:\My Project\.env"`},
		{deleteFolder("linux", "/dev/shm/envsafe-edit-1"), "rm -rf '/dev/shm/envsafe-edit-1'"},
		{deleteFolder("windows", `C:\Temp\envsafe-edit-1`), `rmdir /s /q "C:\Temp\envsafe-edit-1"`},
		{privateFile("linux"), "mode 0600"},
		{privateFile("windows"), "with its folder's access rights: keep it in your own profile"},
	} {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}
