/** asl-validator 4 ships no types: the part of its API the tests use. */
declare module 'asl-validator' {
  type ValidationResult = {
    isValid: boolean;
    errors: { message: string }[];
    errorsText: (separator?: string) => string;
  };
  function aslValidator(
    definition: unknown,
    options?: { checkPaths?: boolean; checkArn?: boolean },
  ): ValidationResult;
  export = aslValidator;
}
