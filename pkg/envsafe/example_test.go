package envsafe_test

import (
	"context"
	"fmt"
	"log"
	"os"
	"sort"

	"github.com/envsafe/envsafe/pkg/envsafe"
)

func ExampleProject_Load() {
	project, err := envsafe.Open("testdata/example")
	if err != nil {
		log.Fatal(err)
	}
	secrets, err := project.Load(context.Background(), "production")
	if err != nil {
		log.Fatal(err)
	}
	names := make([]string, 0, len(secrets))
	for name := range secrets {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Printf("%s=%s\n", name, secrets[name])
	}
	// Output:
	// DATABASE_URL=postgres://db.internal/app
	// GREETING=hello from production
}

func ExampleProject_Setenv() {
	project, err := envsafe.Open("testdata/example")
	if err != nil {
		log.Fatal(err)
	}
	// "" is the default environment: ENVSAFE_ENV, else team.yaml's default.
	if err := project.Setenv(context.Background(), ""); err != nil {
		log.Fatal(err)
	}
	fmt.Println(os.Getenv("GREETING"))
	// Output: hello from envsafe
}

func ExampleProject_Environments() {
	project, err := envsafe.Open("testdata/example")
	if err != nil {
		log.Fatal(err)
	}
	envs, err := project.Environments()
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(envs)
	// Output: [development production]
}
