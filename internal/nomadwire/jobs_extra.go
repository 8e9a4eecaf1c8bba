package nomadwire

// ValidateRequest is Nomad's JobValidateRequest (PUT /v1/validate/job).
type ValidateRequest struct {
	Job *Job
}

// ValidateResponse is Nomad's JobValidateResponse: a job that does not
// validate is still a 200, with its problems listed.
type ValidateResponse struct {
	DriverConfigValidated bool
	ValidationErrors      []string
	Error                 string
	Warnings              string
}
