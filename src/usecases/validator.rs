//! Checks a command's fields, collecting every error before answering, so a client
//! fixes all at once.
//!
//! Each field is checked into a [`Field`]: its value, or the errors against it. A
//! [`Validator`] holds the errors that belong to no one value (one field that is only
//! allowed with another), and [`Validator::finish`] takes the checked fields together:
//! every value when nothing failed, else a 422 naming every field that did. A value is
//! never read before all are known good, and there is no "missing" value to account for.

use crate::error::{Error, FieldError};

/// A checked field: its value, or the errors against it.
pub type Field<T> = Result<T, Vec<FieldError>>;

/// Checks one field: its value, or the message recorded against `name`.
pub fn field<T>(name: &str, result: Result<T, String>) -> Field<T> {
    result.map_err(|message| vec![FieldError::new(name, message)])
}

/// Like [`field`], for a field that may be absent.
pub fn optional<T>(name: &str, value: Option<Result<T, String>>) -> Field<Option<T>> {
    value.map(|r| field(name, r)).transpose()
}

/// Every item's value, or every item's errors.
pub fn all<T>(items: impl IntoIterator<Item = Field<T>>) -> Field<Vec<T>> {
    let mut values = Vec::new();
    let mut errors = Vec::new();
    for item in items {
        match item {
            Ok(v) => values.push(v),
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        Ok(values)
    } else {
        Err(errors)
    }
}

/// Several checked fields as one: all their values, or all their errors.
pub fn together<F: Fields>(fields: F) -> Field<F::Values> {
    let mut errors = Vec::new();
    match fields.collect(&mut errors) {
        Some(values) if errors.is_empty() => Ok(values),
        _ => Err(errors),
    }
}

/// Errors that belong to no one checked value.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn error(&mut self, field: impl Into<String>, message: impl Into<String>) {
        self.errors.push(FieldError::new(field, message));
    }

    /// The values of `fields` (one [`Field`], or a tuple of them), or a 422 with every
    /// error recorded here and against any of them.
    pub fn finish<F: Fields>(mut self, fields: F) -> Result<F::Values, Error> {
        match fields.collect(&mut self.errors) {
            Some(values) if self.errors.is_empty() => Ok(values),
            _ => Err(Error::Validation(self.errors)),
        }
    }
}

/// Checked fields whose values come out together, or not at all.
pub trait Fields {
    type Values;
    /// The values when every field is good; otherwise `None`, with the errors moved
    /// into `errors`.
    fn collect(self, errors: &mut Vec<FieldError>) -> Option<Self::Values>;
}

impl<T> Fields for Field<T> {
    type Values = T;
    fn collect(self, errors: &mut Vec<FieldError>) -> Option<T> {
        self.map_err(|e| errors.extend(e)).ok()
    }
}

/// No checked value: only the errors recorded on the [`Validator`].
impl Fields for () {
    type Values = ();
    fn collect(self, _: &mut Vec<FieldError>) -> Option<()> {
        Some(())
    }
}

macro_rules! fields_tuple {
    ($($t:ident),+) => {
        impl<$($t),+> Fields for ($(Field<$t>,)+) {
            type Values = ($($t,)+);
            #[allow(non_snake_case)]
            fn collect(self, errors: &mut Vec<FieldError>) -> Option<Self::Values> {
                let ($($t,)+) = self;
                $(let $t = $t.collect(errors);)+
                Some(($($t?,)+))
            }
        }
    };
}

fields_tuple!(A);
fields_tuple!(A, B);
fields_tuple!(A, B, C);
fields_tuple!(A, B, C, D);
fields_tuple!(A, B, C, D, E);
fields_tuple!(A, B, C, D, E, F);
fields_tuple!(A, B, C, D, E, F, G);
fields_tuple!(A, B, C, D, E, F, G, H);

#[cfg(test)]
mod tests {
    use super::*;

    fn fields_of(e: Error) -> Vec<String> {
        match e {
            Error::Validation(errors) => errors.into_iter().map(|e| e.field).collect(),
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn every_value_when_nothing_failed() {
        let v = Validator::default();
        let got = v.finish((field("a", Ok::<_, String>(1)), optional::<u8>("b", None)));
        assert_eq!(got.unwrap(), (1, None));
    }

    #[test]
    fn every_error_of_every_field_and_of_none() {
        let mut v = Validator::default();
        v.error("c", "only with d");
        let got = v.finish((
            field("a", Err::<u8, _>("bad".into())),
            field("b", Ok::<_, String>(2)),
            all([
                field("s.x", Err::<u8, _>("short".into())),
                field("s.y", Ok(3)),
            ]),
        ));
        assert_eq!(fields_of(got.unwrap_err()), ["c", "a", "s.x"]);
    }

    #[test]
    fn an_error_of_no_field_fails_good_values() {
        let mut v = Validator::default();
        v.error("body", "names no field to change");
        let got = v.finish(field("a", Ok::<_, String>(1)));
        assert_eq!(fields_of(got.unwrap_err()), ["body"]);
    }
}
