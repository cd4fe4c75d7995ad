package main

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestURLsPrintedThroughRedactor is the grep the secrets rule promises:
// every message or log attribute built from a URL-named value (rawURL,
// a.URL, pageURL, …) passes it through the Redactor (URL, Text, Redact,
// RedactURL) where it is written. The log handler and run's error printer
// redact again, but a message must not depend on that.
func TestURLsPrintedThroughRedactor(t *testing.T) {
	// Files whose messages quote URLs unredacted on purpose, with why.
	exempt := map[string]string{
		// config cannot import sources; its errors reach people only
		// through run (stderr) or the reload log line, both redacted.
		"internal/config/validate.go": "printed through the run's app.Env (Redact) by cmd/herald",
	}
	printers := regexp.MustCompile(`^(Errorf|Sprintf|Printf|Fprintf|Sprint|Print|Println|Fprint|Fprintln|Debug|Info|Warn|Error|Log|DebugContext|InfoContext|WarnContext|ErrorContext|String|Any|Group)$`)
	urlName := regexp.MustCompile(`(?i)url$`)
	redactors := map[string]bool{"URL": true, "Text": true, "Redact": true, "RedactURL": true}
	public := map[string]bool{"BaseURL": true} // the site's own address, in every feed anyway

	root := "../.."
	fset := token.NewFileSet()
	var found []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && path != root {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		if _, ok := exempt[filepath.ToSlash(rel)]; ok {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			name := funcName(call.Fun)
			if redactors[name] {
				return false // what is inside is redacted
			}
			if !printers.MatchString(name) {
				return true
			}
			for _, arg := range call.Args {
				if v := urlValue(arg, urlName); v != "" && !public[v] {
					found = append(found, fset.Position(arg.Pos()).String()+": "+v)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range found {
		t.Errorf("%s is printed without the Redactor", f)
	}
}

func funcName(e ast.Expr) string {
	switch f := e.(type) {
	case *ast.Ident:
		return f.Name
	case *ast.SelectorExpr:
		return f.Sel.Name
	}
	return ""
}

// urlValue returns the name of a URL-named value an argument is (x, a.URL,
// u.String() of such), or "".
func urlValue(e ast.Expr, urlName *regexp.Regexp) string {
	switch v := e.(type) {
	case *ast.Ident:
		if urlName.MatchString(v.Name) {
			return v.Name
		}
	case *ast.SelectorExpr:
		if urlName.MatchString(v.Sel.Name) {
			return v.Sel.Name
		}
	case *ast.CallExpr:
		if s, ok := v.Fun.(*ast.SelectorExpr); ok && s.Sel.Name == "String" {
			return urlValue(s.X, urlName)
		}
	}
	return ""
}
