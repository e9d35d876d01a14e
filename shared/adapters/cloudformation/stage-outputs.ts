import { type CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';

/** A stage's stack outputs, or why they could not be read (the caller falls back to names by convention). */
export type StackOutputs = { outputs: Record<string, string> } | { outputs: undefined; why: string };

/** Reads a deployed stage's CloudFormation outputs (`sls deploy` names the stack `<service>-<stage>`). */
export interface StageOutputs {
  read(stackName: string): Promise<StackOutputs>;
}

export function cloudFormationStageOutputs(cfn: CloudFormationClient): StageOutputs {
  return {
    async read(stackName) {
      try {
        const out = await cfn.send(new DescribeStacksCommand({ StackName: stackName }));
        const outputs = Object.fromEntries(
          (out.Stacks?.[0]?.Outputs ?? []).filter((o) => o.OutputKey && o.OutputValue !== undefined).map((o) => [o.OutputKey!, o.OutputValue!]),
        );
        return Object.keys(outputs).length > 0 ? { outputs } : { outputs: undefined, why: `stack ${stackName} has no outputs` };
      } catch (error) {
        // "Stack with id … does not exist" is a ValidationError; credentials or network problems also end here.
        return { outputs: undefined, why: `${stackName}: ${(error as Error).message}` };
      }
    },
  };
}
