"""The admission webhook: AdmissionReview in, PSP and PSS decisions out, over HTTPS."""
