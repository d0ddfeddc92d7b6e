package scan

import (
	"reflect"
	"strings"
	"testing"
)

const sampleLog = "\x01aaaa1111\n" +
	"\n" +
	"diff --git a/config/app.yml b/config/app.yml\n" +
	"index 1..2 100644\n" +
	"--- a/config/app.yml\n" +
	"+++ b/config/app.yml\n" +
	"@@ -3,0 +4,2 @@ header text\n" +
	"+token: one\n" +
	"++++ looks like a header but is content\n" +
	"@@ -10 +12 @@\n" +
	"-old\n" +
	"+new\n" +
	"\\ No newline at end of file\n" +
	"diff --git a/.env b/.env\n" +
	"new file mode 100644\n" +
	"index 0000000..e69de29\n" +
	"diff --git a/gone.txt b/gone.txt\n" +
	"deleted file mode 100644\n" +
	"--- a/gone.txt\n" +
	"+++ /dev/null\n" +
	"@@ -1 +0,0 @@\n" +
	"-bye\n" +
	"\x01bbbb2222\n" +
	"diff --git \"a/odd\\tname\" \"b/odd\\tname\"\n" +
	"--- /dev/null\n" +
	"+++ \"b/odd\\tname\"\n" +
	"@@ -0,0 +1 @@\n" +
	"+x\n" +
	"diff --git a/img.png b/img.png\n" +
	"Binary files a/img.png and b/img.png differ\n"

func TestParseDiff(t *testing.T) {
	var got []Change
	err := ParseDiff(strings.NewReader(sampleLog), func(c Change) error {
		got = append(got, c)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []Change{
		{Text: Text{Commit: "aaaa1111", Path: "config/app.yml", Data: []byte("token: one\n+++ looks like a header but is content\nnew"), Lines: []int{4, 5, 12}}},
		{Text: Text{Commit: "aaaa1111", Path: ".env", Lines: []int{}}},
		{Text: Text{Commit: "aaaa1111", Path: "gone.txt", Lines: []int{}}, Deleted: true},
		{Text: Text{Commit: "bbbb2222", Path: "odd\tname", Data: []byte("x"), Lines: []int{1}}},
		{Text: Text{Commit: "bbbb2222", Path: "img.png", Lines: []int{}}, Binary: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got\n%+v\nwant\n%+v", got, want)
	}
}

func TestParseDiffRefusesBrokenHunkHeaders(t *testing.T) {
	err := ParseDiff(strings.NewReader("diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ nonsense @@\n"), func(Change) error { return nil })
	if err == nil {
		t.Fatal("want an error")
	}
}
