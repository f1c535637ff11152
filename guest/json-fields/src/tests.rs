#![allow(clippy::unwrap_used)]

use serde_json::json;

use super::*;

fn doc(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(map) => map,
        _ => panic!("not an object"),
    }
}

fn problem(e: FieldError) -> (String, Problem) {
    (e.path, e.problem)
}

fn wrong(expected: &'static str, found: &'static str) -> Problem {
    Problem::WrongType { expected: expected.into(), found }
}

#[test]
fn absent_is_missing_or_null_and_optionally_empty() {
    let map = doc(json!({"a": null, "b": "", "c": "x"}));
    let strict = Fields::new(&map);
    assert_eq!(strict.get("a"), None);
    assert_eq!(strict.get("zz"), None);
    assert_eq!(strict.opt_str("b").unwrap(), Some(""));
    let lenient = Fields::new(&map).empty_string_is_absent();
    assert_eq!(lenient.opt_str("b").unwrap(), None);
    assert_eq!(lenient.opt_str("c").unwrap(), Some("x"));
    assert_eq!(problem(lenient.req_str("b").unwrap_err()), ("b".into(), Problem::Missing));
    assert_eq!(lenient.req("a").unwrap_err().to_string(), "`a` is required.");
}

#[test]
fn each_reader_names_the_path_and_the_types() {
    let map = doc(json!({
        "s": 1, "b": "yes", "n": "3", "f": [1], "o": [], "arr": {}, "t": true
    }));
    let f = Fields::at(&map, "body");
    assert_eq!(
        problem(f.opt_str("s").unwrap_err()),
        ("body.s".into(), wrong("a string", "a number"))
    );
    assert_eq!(
        problem(f.req_str("t").unwrap_err()),
        ("body.t".into(), wrong("a string", "a boolean"))
    );
    assert_eq!(
        problem(f.opt_bool("b").unwrap_err()),
        ("body.b".into(), wrong("true or false", "a string"))
    );
    assert_eq!(problem(f.opt_u64("n").unwrap_err()).1, wrong("a whole number", "a string"));
    assert_eq!(problem(f.opt_u32("n").unwrap_err()).1, wrong("a whole number", "a string"));
    assert_eq!(problem(f.opt_f64("f").unwrap_err()).1, wrong("a number", "an array"));
    assert_eq!(problem(f.opt_f32("f").unwrap_err()).1, wrong("a number", "an array"));
    assert_eq!(problem(f.opt_object("o").unwrap_err()).1, wrong("an object", "an array"));
    assert_eq!(problem(f.opt_array("arr").unwrap_err()).1, wrong("an array", "an object"));
    assert_eq!(
        f.opt_str("s").unwrap_err().to_string(),
        "`body.s` must be a string, but it is a number."
    );
    assert_eq!(f.opt_bool("t").unwrap(), Some(true));
}

#[test]
fn numbers_out_of_range_are_not_type_errors() {
    let map = doc(json!({
        "neg": -1, "frac": 2.5, "big": 4_294_967_296_u64, "max": 4_294_967_295_u64,
        "huge": 1e300, "small": 0.25
    }));
    let f = Fields::new(&map);
    let (path, p) = problem(f.opt_u64("neg").unwrap_err());
    assert_eq!(path, "neg");
    assert_eq!(
        p,
        Problem::OutOfRange { expected: "a non-negative whole number".into(), found: "-1".into() }
    );
    assert!(matches!(f.opt_u64("frac").unwrap_err().problem, Problem::OutOfRange { .. }));
    assert_eq!(f.opt_u64("big").unwrap(), Some(4_294_967_296));
    assert_eq!(
        f.opt_u32("big").unwrap_err().to_string(),
        "`big` is 4294967296; it must be a whole number from 0 to 4294967295."
    );
    assert_eq!(f.opt_u32("max").unwrap(), Some(u32::MAX));
    assert_eq!(f.opt_f64("huge").unwrap(), Some(1e300));
    assert!(matches!(f.opt_f32("huge").unwrap_err().problem, Problem::OutOfRange { .. }));
    assert_eq!(f.opt_f32("small").unwrap(), Some(0.25));
    assert_eq!(f.opt_f32("neg").unwrap(), Some(-1.0));
    assert_eq!(f.opt_u32("absent").unwrap(), None);
}

#[test]
fn nested_objects_and_array_elements_extend_the_path() {
    let map = doc(json!({
        "messages": [{"role": "user"}, {"role": 7}, "text"],
        "options": {"inner": {"deep": ""}}
    }));
    let f = Fields::new(&map).empty_string_is_absent();
    let messages = f.req_array("messages").unwrap();
    assert_eq!(messages.len(), 3);
    let first = Fields::of(&messages[0], index("messages", 0)).unwrap();
    assert_eq!(first.req_str("role").unwrap(), "user");
    let second = Fields::of(&messages[1], index("messages", 1)).unwrap();
    assert_eq!(second.req_str("role").unwrap_err().path, "messages[1].role");
    let third = Fields::of(&messages[2], index("messages", 2)).unwrap_err();
    assert_eq!(third.to_string(), "`messages[2]` must be an object, but it is a string.");
    assert_eq!(as_object(&messages[2], "m").unwrap_err().path, "m");
    assert_eq!(as_array(&messages[0], "m").unwrap_err().problem, wrong("an array", "an object"));

    // Nested readers keep the absent rule and the path.
    let inner = f.req_object("options").unwrap().req_object("inner").unwrap();
    assert_eq!(inner.path(), "options.inner");
    assert_eq!(inner.opt_str("deep").unwrap(), None);
    assert_eq!(inner.req("deep").unwrap_err().path, "options.inner.deep");
    assert_eq!(f.opt_object("missing").unwrap().map(|o| o.path().to_string()), None);
    assert_eq!(f.req_array("missing").unwrap_err().problem, Problem::Missing);
    assert_eq!(join("", "a"), "a");
    assert_eq!(join("a", "b"), "a.b");
}

#[test]
fn expecting_rewords_the_expectation_only() {
    let map = doc(json!({"headers": "X: 1"}));
    let e = Fields::new(&map)
        .opt_object("headers")
        .unwrap_err()
        .expecting("an object of header name → value");
    assert_eq!(
        e.to_string(),
        "`headers` must be an object of header name → value, but it is a string."
    );
    let missing = FieldError::new("x", Problem::Missing).expecting("ignored");
    assert_eq!(missing.problem, Problem::Missing);
}

#[test]
fn unknown_keys_are_refused_with_a_suggestion() {
    let known = ["connectMs", "totalMs"];
    let map = doc(json!({"connectMs": 1, "totalMS": 2}));
    let e = Fields::at(&map, "timeouts").check_keys(&known).unwrap_err();
    assert_eq!(e.path, "timeouts.totalMS");
    assert_eq!(
        e.problem,
        Problem::UnknownKey {
            suggestion: Some("timeouts.totalMs".into()),
            known: vec!["timeouts.connectMs".into(), "timeouts.totalMs".into()],
        }
    );
    assert_eq!(e.to_string(), "Unknown key `timeouts.totalMS`. Did you mean `timeouts.totalMs`?");

    let map = doc(json!({"zzz": 1}));
    let e = Fields::new(&map).check_keys(&known).unwrap_err();
    assert_eq!(e.to_string(), "Unknown key `zzz`.");
    assert!(matches!(e.problem, Problem::UnknownKey { suggestion: None, .. }));

    // The empty key is a key like any other.
    let map = doc(json!({"": 1}));
    assert_eq!(Fields::new(&map).check_keys(&known).unwrap_err().path, "");
    let map = doc(json!({"totalMs": 1}));
    assert!(Fields::new(&map).check_keys(&known).is_ok());
}

#[test]
fn closest_finds_the_likely_key() {
    let keys = [
        "region",
        "accessKeyId",
        "secretAccessKey",
        "sessionToken",
        "apiKey",
        "baseUrl",
        "headers",
        "rerankingModel",
    ];
    let table = [
        ("accessKey", Some("accessKeyId")),
        ("access_key_id", Some("accessKeyId")),
        ("AccessKeyID", Some("accessKeyId")),
        ("secretKey", None),
        ("secret_access_key", Some("secretAccessKey")),
        ("baseURL", Some("baseUrl")),
        ("awsRegion", Some("region")),
        ("regoin", Some("region")),
        ("sesionToken", Some("sessionToken")),
        ("header", Some("headers")),
        ("rerankModel", Some("rerankingModel")),
        ("zzz", None),
        ("", None),
        ("---", None),
    ];
    for (typo, want) in table {
        assert_eq!(closest(typo, &keys), want, "{typo}");
    }
    assert_eq!(edit_distance("kitten", "sitting"), 3);
    assert_eq!(edit_distance("", "abc"), 3);
}

#[test]
fn type_names_have_articles() {
    let names: Vec<&str> = [json!(null), json!(true), json!(1), json!("s"), json!([]), json!({})]
        .iter()
        .map(type_name)
        .collect();
    assert_eq!(names, ["null", "a boolean", "a number", "a string", "an array", "an object"]);
}
