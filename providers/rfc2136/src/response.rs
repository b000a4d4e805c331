//! What the server's answer means: response codes and TSIG errors mapped to `ProviderError`.

use hickory_proto::op::{Message, ResponseCode};
use hickory_proto::rr::TSigVerifier;
use hickory_proto::rr::rdata::tsig::TsigError;
use rtoguard_provider_api::ProviderError;

/// Who is asking, for the errors' text.
pub(crate) struct Asker<'a> {
    pub provider: &'a str,
    pub credential_source: &'a str,
}

impl Asker<'_> {
    fn transport(&self, message: String) -> ProviderError {
        ProviderError::Transport {
            provider: self.provider.to_string(),
            message,
        }
    }
    fn auth(&self, message: String) -> ProviderError {
        ProviderError::Auth {
            provider: self.provider.to_string(),
            credential_source: self.credential_source.to_string(),
            message,
        }
    }
    fn server(&self, message: String) -> ProviderError {
        ProviderError::Server {
            provider: self.provider.to_string(),
            message,
        }
    }
    fn bad_request(&self, message: String) -> ProviderError {
        ProviderError::BadRequest {
            provider: self.provider.to_string(),
            message,
        }
    }

    fn parse(&self, answer: &[u8]) -> Result<Message, ProviderError> {
        Message::from_vec(answer).map_err(|e| self.transport(format!("malformed answer: {e}")))
    }

    /// The answer to a plain query: NOERROR (records or NODATA) and NXDOMAIN
    /// are answers; anything else is an error. Only authoritative data counts.
    pub(crate) fn query_answer(&self, answer: &[u8]) -> Result<Message, ProviderError> {
        let msg = self.parse(answer)?;
        let rcode = msg.metadata.response_code;
        match rcode {
            ResponseCode::NoError | ResponseCode::NXDomain if msg.metadata.authoritative => Ok(msg),
            ResponseCode::NoError | ResponseCode::NXDomain => Err(self.bad_request(
                "the server's answer is not authoritative: is it a primary for the zone?".into(),
            )),
            ResponseCode::ServFail => Err(self.server(format!("query answered {rcode}"))),
            ResponseCode::Refused | ResponseCode::NotAuth => Err(self.bad_request(format!(
                "query answered {rcode}: the server does not serve this zone"
            ))),
            _ => Err(self.bad_request(format!("query answered {rcode}"))),
        }
    }

    /// The answer to a signed UPDATE. `Ok` only for NOERROR with a valid TSIG signature.
    pub(crate) fn update_answer(
        &self,
        answer: &[u8],
        verifier: Option<TSigVerifier>,
    ) -> Result<(), ProviderError> {
        let msg = self.parse(answer)?;
        let rcode = msg.metadata.response_code;
        if let Some(error) = msg.signature().and_then(|s| s.data.error) {
            return Err(self.auth(format!(
                "update answered {rcode} with TSIG error {}",
                tsig_error_name(error)
            )));
        }
        match rcode {
            ResponseCode::NoError => {
                let mut verifier =
                    verifier.ok_or_else(|| self.auth("update was not signed".into()))?;
                verifier.verify(answer).map_err(|e| {
                    self.auth(format!("the answer's TSIG signature did not verify: {e}"))
                })?;
                Ok(())
            }
            ResponseCode::NXRRSet
            | ResponseCode::YXRRSet
            | ResponseCode::NXDomain
            | ResponseCode::YXDomain => Err(ProviderError::Conflict {
                provider: self.provider.to_string(),
                message: format!(
                    "prerequisite failed ({rcode}): the server does not hold the expected records"
                ),
            }),
            ResponseCode::NotAuth
            | ResponseCode::Refused
            | ResponseCode::BADSIG
            | ResponseCode::BADKEY
            | ResponseCode::BADTIME => Err(self.auth(format!("update answered {rcode}"))),
            ResponseCode::ServFail => Err(self.server(format!("update answered {rcode}"))),
            _ => Err(self.bad_request(format!("update answered {rcode}"))),
        }
    }
}

fn tsig_error_name(e: TsigError) -> String {
    match e {
        TsigError::BadSig => "BADSIG".into(),
        TsigError::BadKey => "BADKEY".into(),
        TsigError::BadTime => "BADTIME".into(),
        TsigError::BadTrunc => "BADTRUNC".into(),
        TsigError::Unknown(code) => format!("code {code}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use hickory_proto::op::OpCode;

    const ASKER: Asker<'static> = Asker {
        provider: "corp-bind",
        credential_source: "TSIG key rtoguard.",
    };

    fn answer(rcode: ResponseCode) -> Vec<u8> {
        let mut m = Message::error_msg(7, OpCode::Update, rcode);
        m.metadata.authoritative = true;
        m.to_vec().unwrap()
    }

    #[test]
    fn maps_update_codes_to_errors() {
        let kind = |rcode| {
            ASKER
                .update_answer(&answer(rcode), None)
                .unwrap_err()
                .kind()
        };
        assert_eq!(kind(ResponseCode::NXRRSet), "conflict");
        assert_eq!(kind(ResponseCode::YXRRSet), "conflict");
        assert_eq!(kind(ResponseCode::NotAuth), "auth");
        assert_eq!(kind(ResponseCode::Refused), "auth");
        assert_eq!(kind(ResponseCode::ServFail), "server");
        assert_eq!(kind(ResponseCode::FormErr), "bad-request");
        assert_eq!(kind(ResponseCode::NotZone), "bad-request");
        let err = ASKER
            .update_answer(&answer(ResponseCode::NotAuth), None)
            .unwrap_err();
        assert!(err.to_string().contains("TSIG key rtoguard."), "{err}");
    }

    #[test]
    fn an_unsigned_success_is_not_trusted() {
        let err = ASKER
            .update_answer(&answer(ResponseCode::NoError), None)
            .unwrap_err();
        assert_eq!(err.kind(), "auth");
    }

    #[test]
    fn query_answers() {
        assert!(ASKER.query_answer(&answer(ResponseCode::NXDomain)).is_ok());
        let err = ASKER
            .query_answer(&answer(ResponseCode::ServFail))
            .unwrap_err();
        assert!(err.is_retryable());
        let err = ASKER
            .query_answer(&answer(ResponseCode::Refused))
            .unwrap_err();
        assert_eq!(err.kind(), "bad-request");
        assert_eq!(ASKER.query_answer(&[1, 2]).unwrap_err().kind(), "transport");
    }
}
