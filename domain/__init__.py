"""Pure rules: no slack_sdk, no SQL, no datetime.now(). Time always arrives as an argument."""
